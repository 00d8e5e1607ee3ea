"""How a command of `python -m bot` ends: the exit codes, and the one table of the errors each
command answers with one line on stderr instead of a traceback.

Every command runs through `run_command`, which tries the rows of ANSWERS for its name first,
then EVERY_COMMAND's: the set-up's mistakes, and a database or a path that cannot be used. A new
command gets EVERY_COMMAND's rows by running through `run_command`, with no line here; it needs
a row in ANSWERS only for errors of its own. An error that no row names is a bug: its traceback
is printed as Python would print it, with every secret redacted (exit 1).
"""

from __future__ import annotations

import errno
import socket
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from bot.catalog import CatalogError
from bot.config import ConfigError, load_database_settings
from bot.redaction import redact_known_secrets
from bot.services.codes import CodesError
from bot.services.exports import ExportRangeError
from storage.backup import BackupError
from storage.db import DatabaseNotFound, shown_url
from storage.locks import DatabaseBusy
from storage.migrate import NewerSchema, SchemaError

EXIT_OK = 0
EXIT_FAILED = 1  # `check` found something not ready; or a bug (as Python exits after a traceback)
# The set-up is wrong, or the database or a path cannot be used: running it again will not help
# until someone changes something (the setting, the server, the folder).
EXIT_CONFIG = 2
# The bot stopped being the leader while it led, or a newer release migrated the database:
# a supervisor restarts it (to follow, or as the newer release).
EXIT_LOST_LOCK = 3

# A class, or "module:Class" for one whose module is imported only when needed (aiogram's).
ErrorKind = type[Exception] | str


@dataclass(frozen=True)
class Answer:
    """Errors of these kinds end a command with `code` and one line on stderr: the error's own
    message when `says` is None (it was written for the operator); else `says` and the first
    line of the error's, or what `says` makes of the error when it is a function."""

    kinds: tuple[ErrorKind, ...]
    code: int
    says: str | Callable[[Exception], str] | None = None

    def matches(self, error: Exception) -> bool:
        return any(_is_kind(error, kind) for kind in self.kinds)

    def line(self, error: Exception) -> str:
        if self.says is None:
            return str(error)
        if callable(self.says):
            return self.says(error)
        return f"{self.says}: {_first_line(error)}"


def _cannot_use(error: Exception) -> str:
    """A path by its name (the database's file, a file to write); the database, or the network
    to it, by its URL with the password masked; the machine's own errors as they are."""
    if isinstance(error, OSError) and error.filename is not None:
        return f"cannot use {error.filename}: {error.strerror}; check the path and its permissions"
    if isinstance(error, DBAPIError) or _is_network(error):
        where = _database_url()
        what = "the server" if where.startswith("postgresql") else "the file"
        # The driver's own words, without SQLAlchemy's wrapping: "(sqlite3.DatabaseError) ..."
        cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
        reason = _first_line(cause)
        return f"cannot use the database at {where}: {reason} (check DATABASE_URL and {what})"
    return _first_line(error)  # a full disk, a closed stdout


# Operator's mistakes, each told in a line of its own: fix the set-up, then run it again.
SET_UP = Answer(
    (ConfigError, CatalogError, ExportRangeError, DatabaseNotFound, DatabaseBusy, SchemaError),
    EXIT_CONFIG,
)
# What stops a command reaching the database (down, refusing, a wrong password or file) or a
# path it was given (missing, not a folder, not allowed); the machine's own errors too.
CANNOT_USE = Answer((DBAPIError, OSError), EXIT_CONFIG, _cannot_use)
EVERY_COMMAND = (SET_UP, CANNOT_USE)

# What commands answer besides EVERY_COMMAND's rows, tried before them.
ANSWERS: dict[str, tuple[Answer, ...]] = {
    "run": (Answer(("bot.leadership:ActiveLockLost", NewerSchema), EXIT_LOST_LOCK),),
    "codes": (Answer((CodesError,), EXIT_CONFIG),),
    "backup": (Answer((BackupError,), EXIT_CONFIG),),
}


def run_command(name: str, step: Callable[[], int]) -> int:
    """Run the command `name` (its `step` returns the exit code); an error that a row of
    EVERY_COMMAND or of its own in ANSWERS names ends it with that answer's line and code, any
    other with its traceback. No secret reaches stderr either way."""
    try:
        return step()
    except Exception as error:
        for answer in (*ANSWERS.get(name, ()), *EVERY_COMMAND):
            if answer.matches(error):
                print(redact_known_secrets(answer.line(error)), file=sys.stderr)
                return answer.code
        sys.stderr.write(redact_known_secrets("".join(traceback.format_exception(error))))
        return EXIT_FAILED


# Failures of a connection, which asyncpg raises as they come (SQLAlchemy wraps only the
# driver's own errors); an OSError without errno is asyncio's for several addresses that all
# failed ("Multiple exceptions: ...").
NETWORK_ERRORS = (ConnectionRefusedError, ConnectionResetError, TimeoutError, socket.gaierror)
NETWORK_ERRNOS = {None, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED}


def _is_network(error: Exception) -> bool:
    return isinstance(error, NETWORK_ERRORS) or (
        type(error) is OSError and error.errno in NETWORK_ERRNOS
    )


def _database_url() -> str:
    """DATABASE_URL as the command read it (its errors do not carry it), password masked."""
    try:
        return shown_url(load_database_settings().database_url)
    except ConfigError:
        return "DATABASE_URL"


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text.strip() else type(error).__name__


def _is_kind(error: Exception, kind: ErrorKind) -> bool:
    if not isinstance(kind, str):
        return isinstance(error, kind)
    module, _, name = kind.partition(":")
    # Not importing it: an error of a module that was never imported cannot have been raised.
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(error, getattr(loaded, name))
