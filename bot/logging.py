"""loguru for our logs, with the standard library's (aiogram's, SQLAlchemy's) routed into it."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from loguru import logger

from bot.redaction import Redactor

if TYPE_CHECKING:
    from loguru import Record


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


class RedactedError(Exception):
    """Stands in for a logged exception whose text held a secret: its traceback, redacted."""


class RedactedStream:
    """A stream every formatted record passes on its way out: the whole line, traceback and
    all, plain or JSON. The record's patcher cannot see all of it: what a call binds or passes
    by keyword goes to the JSON's `extra`, and a colored message is formatted apart."""

    def __init__(self, stream: TextIO, redact: Redactor) -> None:
        self.stream = stream
        self.redact = redact

    def write(self, text: str) -> None:
        self.stream.write(self.redact(text))

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:  # colors on a terminal, as for the stream itself
        return self.stream.isatty()


def redact_record(redact: Redactor, record: Record) -> None:
    """The second net after the HTTP session's: no secret in a message or a traceback."""
    record["message"] = redact(record["message"])
    exception = record["exception"]
    if exception is None or exception.value is None:
        return
    text = "".join(traceback.format_exception(exception.value)).rstrip()
    if redact.finds(text):
        record["exception"] = exception._replace(
            type=RedactedError, value=RedactedError(redact(text)), traceback=None
        )


def setup_logging(level: str = "INFO", json: bool = False, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`; `json=True` writes one JSON object per line. `secrets` never
    appear in a line: each is replaced wherever it occurs."""
    redact = Redactor(secrets)
    logger.remove()
    logger.configure(patcher=partial(redact_record, redact))
    sink = RedactedStream(sys.stderr, redact)
    logger.add(sink, level=level, serialize=json, backtrace=False, diagnose=False)
    logging.basicConfig(handlers=[InterceptHandler()], level=logging.INFO, force=True)
    # aiogram logs every handled update at INFO; that is noise at our default level.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # Alembic says which dialect it found on every start; the bot logs the schema version.
    logging.getLogger("alembic").setLevel(logging.WARNING)
