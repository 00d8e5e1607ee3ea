"""loguru for our logs, with the standard library's (aiogram's, SQLAlchemy's) routed into it."""

from __future__ import annotations

import logging
import sys
from types import FrameType

from loguru import logger


class InterceptHandler(logging.Handler):
    """Hand every stdlib record to loguru, keeping the caller's place."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame: FrameType | None = logging.currentframe()
        depth = 2
        while frame is not None and frame.f_code.co_filename == logging.__file__:
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


def setup_logging(level: str = "INFO", json: bool = False) -> None:
    """Log to stderr at `level`; `json=True` writes one JSON object per line."""
    logger.remove()
    logger.add(sys.stderr, level=level, serialize=json, backtrace=False, diagnose=False)
    logging.basicConfig(handlers=[InterceptHandler()], level=logging.INFO, force=True)
    # aiogram logs every handled update at INFO; that is noise at our default level.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # Alembic says which dialect it found on every start; the bot logs the schema version.
    logging.getLogger("alembic").setLevel(logging.WARNING)
