"""How a command of `python -m bot` ends: the exit codes, and the one table of the errors each
command answers with one line on stderr instead of a traceback.

Every command runs through `run_command`. An error that no row of its command names is a bug:
its traceback is printed as Python would print it, with every secret redacted (exit 1).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.catalog import CatalogError
from bot.config import ConfigError
from bot.redaction import redact_known_secrets
from bot.services.codes import CodesError
from bot.services.exports import ExportRangeError
from storage.backup import BackupError
from storage.db import DatabaseNotFound
from storage.locks import DatabaseBusy
from storage.migrate import SchemaError

EXIT_OK = 0
EXIT_FAILED = 1  # `check` found something not ready; export, stats or status could not read;
# or a bug (as Python exits after a traceback)
EXIT_CONFIG = 2  # the set-up is wrong: retrying will not help until someone changes it
EXIT_LOST_LOCK = 3  # the bot stopped being the active process while it served

# A class, or "module:Class" for one whose module is imported only when needed (aiogram's).
ErrorKind = type[Exception] | str


@dataclass(frozen=True)
class Answer:
    """Errors of these kinds end a command with `code` and one line on stderr: the error's own
    message when `says` is None (it was written for the operator), else `says` and the first
    line of the error's."""

    kinds: tuple[ErrorKind, ...]
    code: int
    says: str | None = None

    def matches(self, error: Exception) -> bool:
        return any(_is_kind(error, kind) for kind in self.kinds)

    def line(self, error: Exception) -> str:
        text = str(error)
        if self.says is None:
            return text
        return f"{self.says}: {text.splitlines()[0] if text else type(error).__name__}"


# The operator's mistakes, each told in a line of its own: fix the set-up, then run it again.
SET_UP = Answer(
    (ConfigError, CatalogError, ExportRangeError, DatabaseNotFound, DatabaseBusy, SchemaError),
    EXIT_CONFIG,
)

# Where commands differ, they differ here: what they say when the database (or the file export
# writes) fails them, and which of those errors they answer at all.
ANSWERS: dict[str, tuple[Answer, ...]] = {
    "run": (SET_UP, Answer(("bot.app:ActiveLockLost",), EXIT_LOST_LOCK)),
    "migrate": (SET_UP,),
    "check": (),  # it answers with its findings, a ✓ or ✗ line each, and exit 1 if one fails
    "export": (SET_UP, Answer((SQLAlchemyError, OSError), EXIT_FAILED, "the export failed")),
    "stats": (SET_UP, Answer((SQLAlchemyError, OSError), EXIT_FAILED, "cannot read the database")),
    "status": (SET_UP, Answer((SQLAlchemyError,), EXIT_FAILED, "cannot read the database")),
    "codes": (
        SET_UP,
        Answer((CodesError,), EXIT_CONFIG),
        Answer((SQLAlchemyError,), EXIT_FAILED, "cannot use the database"),
    ),
    "backup": (
        SET_UP,
        Answer((BackupError,), EXIT_CONFIG),
        Answer((SQLAlchemyError, OSError), EXIT_CONFIG, "the backup failed"),
    ),
}


def run_command(name: str, step: Callable[[], int]) -> int:
    """Run the command `name` (its `step` returns the exit code); an error that its row of
    ANSWERS names ends it with that answer's line and code, any other with its traceback. No
    secret reaches stderr either way."""
    answers = ANSWERS[name]
    try:
        return step()
    except Exception as error:
        for answer in answers:
            if answer.matches(error):
                print(redact_known_secrets(answer.line(error)), file=sys.stderr)
                return answer.code
        sys.stderr.write(redact_known_secrets("".join(traceback.format_exception(error))))
        return EXIT_FAILED


def _is_kind(error: Exception, kind: ErrorKind) -> bool:
    if not isinstance(kind, str):
        return isinstance(error, kind)
    module, _, name = kind.partition(":")
    # Not importing it: an error of a module that was never imported cannot have been raised.
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(error, getattr(loaded, name))
