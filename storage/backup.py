"""A consistent copy of the shop's database, taken while the bot runs and writes.

SQLite: the online backup API, in one step, so the copy is one read transaction's snapshot (in
WAL mode the bot goes on writing meanwhile). PostgreSQL: `pg_dump -Fc` inside a snapshot this
module exports from a REPEATABLE READ transaction it holds open while pg_dump runs, so the
payments counted in that transaction are exactly those in the dump.

The copy is written to a temporary file beside the target and renamed to it once complete: a
failed backup never leaves a half file under the target's name.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import NullPool, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import BUSY_TIMEOUT_MS, DatabaseNotFound, shown_url

COUNT_PAYMENTS = "SELECT count(*) FROM payments"


class BackupError(Exception):
    """A backup that cannot be made: the message is the one line the operator reads (never
    with the database's password)."""


@dataclass(frozen=True)
class BackupResult:
    """What was written: the file, its size in bytes, and the payments the copy holds."""

    path: Path
    size: int
    payments: int


async def back_up(url: str, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the database at `url` into `target`, consistently, while others write to it.

    Refuses (BackupError, with the line the operator reads) a target that exists unless
    `force`, a folder that does not exist or cannot be written, and the live database itself.
    Payments are counted in the copy's own snapshot."""
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    source = Path(parsed.database or "") if is_sqlite else None
    _check_target(target, force, source)
    partial = _create_partial(target)
    try:
        if source is not None:
            payments = await asyncio.to_thread(_copy_sqlite, source, partial)
        else:
            with partial.open("r+b") as out:
                payments = await _dump_postgres(url, out.fileno())
                os.fsync(out.fileno())
        size = _put_in_place(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, size, payments)


def _check_target(target: Path, force: bool, source: Path | None) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise BackupError(f"no folder {folder}: create it, or give FILE in another folder")
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the name of a file to write")
    if source is not None and target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself: give another FILE")
    if target.exists() and not force:
        raise BackupError(f"{target} exists: give another FILE, or add --force to replace it")


def _create_partial(target: Path) -> Path:
    """An empty file beside `target`, owner-only (the copy holds buyers' payments)."""
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
    except OSError as error:
        raise BackupError(f"cannot write in {target.parent}: {error.strerror}") from None
    os.close(handle)
    return Path(name)


def _put_in_place(partial: Path, target: Path) -> int:
    """Rename the complete copy to `target`; returns its size."""
    os.replace(partial, target)
    return target.stat().st_size


def _copy_sqlite(source: Path, partial: Path) -> int:
    """The online backup of `source` into `partial`, which is left a database of its own (no
    -wal file beside it); returns the payments in the copy."""
    if not source.is_file():
        raise DatabaseNotFound(f"no database file at {source}")
    # rw, not rwc: never a new, empty database. Not ro either: a reader that is the last to
    # close would leave its -wal and -shm files behind, owned by whoever ran the backup.
    uri = f"file:{quote(str(source.resolve()))}?mode=rw"
    try:
        live = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            copy = sqlite3.connect(partial)
            try:
                # All pages in one step: one read transaction, so one snapshot. A copy made in
                # several steps would start over whenever the bot writes meanwhile.
                live.backup(copy, pages=-1)
                copy.execute("PRAGMA journal_mode=DELETE")
                payments: int = copy.execute(COUNT_PAYMENTS).fetchone()[0]
            finally:
                copy.close()
        finally:
            live.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source}: {error}") from None
    with partial.open("rb") as written:
        os.fsync(written.fileno())
    return payments


# -- PostgreSQL: pg_dump in the snapshot of a transaction held open ---------------------------

CONNECT_TIMEOUT = 10.0
# Query parameters of a SQLAlchemy URL that libpq knows too, passed on to pg_dump as they are.
# Never sslpassword: the command line is visible to every user of the machine.
LIBPQ_PARAMETERS = frozenset(
    {
        "host",
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "sslcrl",
        "sslnegotiation",
        "sslcompression",
        "connect_timeout",
        "application_name",
        "options",
        "target_session_attrs",
        "gssencmode",
        "channel_binding",
        "krbsrvname",
        "passfile",
        "service",
    }
)
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


async def _dump_postgres(url: str, out: int) -> int:
    """`pg_dump -Fc` of the database at `url` into the file descriptor `out`; returns the
    payments in the dump."""
    parsed = make_url(url)
    where = shown_url(url)
    engine = create_async_engine(
        url, poolclass=NullPool, connect_args={"timeout": CONNECT_TIMEOUT}
    )
    try:
        try:
            connection = await engine.connect()
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise BackupError(f"cannot reach {where}: {reason}") from None
        try:
            await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with connection.begin():
                server = await connection.scalar(text("SHOW server_version_num"))
                pg_dump = await _find_pg_dump(int(server) // 10000)
                snapshot = await connection.scalar(text("SELECT pg_export_snapshot()"))
                payments = await connection.scalar(text(COUNT_PAYMENTS))
                # The transaction stays open until pg_dump is done: its snapshot must live.
                await _run_pg_dump(pg_dump, parsed, str(snapshot), out)
        finally:
            await connection.close()
    finally:
        await engine.dispose()
    return int(payments or 0)


async def _find_pg_dump(server: int) -> str:
    """The pg_dump on PATH, if it can dump a server of this major version (pg_dump refuses a
    newer server than itself)."""
    package = f"postgresql-client-{server}"
    found = shutil.which("pg_dump")
    if found is None:
        raise BackupError(
            f"pg_dump is not installed (not on PATH); the server runs PostgreSQL {server}: "
            f"install {package} (Debian and Ubuntu), or the client tools of PostgreSQL {server}"
        )
    process = await asyncio.create_subprocess_exec(
        found, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    said, _ = await process.communicate()
    version = _VERSION.search(said.decode(errors="replace"))
    if version is None or int(version.group(1)) < server:
        has = f"PostgreSQL {version.group(1)}'s" if version else "an unknown version's"
        raise BackupError(
            f"{found} is {has}, older than the server (PostgreSQL {server}), which it cannot "
            f"dump: install {package} (Debian and Ubuntu) and put its pg_dump first on PATH"
        )
    return found


async def _run_pg_dump(pg_dump: str, url: URL, snapshot: str, out: int) -> None:
    env = dict(os.environ)
    if url.password is not None:  # never on the command line, which anyone may read
        env["PGPASSWORD"] = str(url.password)
    process = await asyncio.create_subprocess_exec(
        pg_dump,
        "--format=custom",
        f"--snapshot={snapshot}",
        "--no-password",  # a missing password fails the backup; it never waits for a prompt
        f"--dbname={libpq_conninfo(url)}",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=out,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    _, said = await process.communicate()
    if process.returncode != 0:
        lines = said.decode(errors="replace").strip().splitlines()
        reason = lines[0] if lines else f"exit code {process.returncode}"
        raise BackupError(f"pg_dump failed: {reason}")


def libpq_conninfo(url: URL) -> str:
    """`url` (postgresql+asyncpg://...) as a libpq connection string, without the password:
    host, port, user, dbname, and the query parameters libpq knows (asyncpg's `ssl` as
    `sslmode`)."""
    parts: dict[str, str] = {}
    for name, value in url.query.items():
        name = "sslmode" if name == "ssl" else name
        if name in LIBPQ_PARAMETERS:
            parts[name] = value if isinstance(value, str) else ",".join(value)
    if parts.get("sslmode") == "true":  # asyncpg's other spelling
        parts["sslmode"] = "require"
    if url.host:
        parts["host"] = url.host
    if url.port:
        parts["port"] = str(url.port)
    if url.username:
        parts["user"] = url.username
    if url.database:
        parts["dbname"] = url.database
    return " ".join(f"{name}={_conninfo_value(value)}" for name, value in parts.items())


def _conninfo_value(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"
