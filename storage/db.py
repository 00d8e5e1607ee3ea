"""The async engine and session factory, with SQLite tuned in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.files import private_file

SessionFactory = async_sessionmaker[AsyncSession]

BUSY_TIMEOUT_MS = 5000
READERS = 4


def create_engine(
    url: str, *, read_only: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> AsyncEngine:
    """An async engine; for SQLite it creates the file (owner-only, see `storage.files`) and
    sets WAL and the pragmas.

    PostgreSQL (postgresql+asyncpg://) gets a pool whose connections are checked before use,
    so a restarted server costs a reconnect rather than a failed transaction.

    SQLite has one writer at a time. The default (writer) engine keeps a single connection, so
    this process's write transactions queue on the pool, in order, instead of sleeping in
    SQLite's busy handler. A `read_only` engine has a pool of readers whose transactions start
    deferred: in WAL mode they read a snapshot and never wait for a writer.
    """
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if not is_sqlite:
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        # Made here, owner-only, before SQLite makes it readable by all (0644 less the umask);
        # SQLite gives the -wal and -shm files the database file's permissions.
        private_file(Path(parsed.database))
    # Each SQLite connection has its own thread and page cache (up to 2 MB): a few readers
    # serve the bot, since look-ups asked at the same time are answered together.
    pool: dict[str, Any] = {"pool_size": READERS if read_only else 1, "max_overflow": 0}
    engine = create_async_engine(url, **pool)
    _tune_sqlite(engine, busy_timeout_ms, "BEGIN" if read_only else "BEGIN IMMEDIATE")
    return engine


def _tune_sqlite(engine: AsyncEngine, busy_timeout_ms: int, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so "begin" below decides how to start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First, so that switching a new file to WAL waits as long as anything else.
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # A writer takes the lock up front (IMMEDIATE): a read-then-write transaction then waits
        # on busy_timeout instead of failing at once with "database is locked" on upgrade.
        connection.exec_driver_sql(begin)


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class DatabaseNotFound(Exception):
    """A SQLite file that is not there: the message says where it was looked for."""


@asynccontextmanager
async def read_only_sessions(url: str) -> AsyncIterator[SessionFactory]:
    """Sessions that cannot change the database at `url`, for commands that only look at it
    (check, export, stats, status). A SQLite file is opened read-only and must exist already
    (DatabaseNotFound otherwise, rather than an empty file made on the spot); on PostgreSQL
    every transaction is read-only. The engine is disposed of on the way out."""
    engine = _create_read_only_engine(url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def _create_read_only_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        read_only = {"server_settings": {"default_transaction_read_only": "on"}}
        return create_async_engine(url, pool_pre_ping=True, connect_args=read_only)
    path = Path(parsed.database or "")
    if not parsed.database or parsed.database == ":memory:" or not path.is_file():
        raise DatabaseNotFound(f"no database file at {path}")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    return create_async_engine(
        parsed.set(database=uri, query={"uri": "true"}),
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
    )


def shown_url(url: str) -> str:
    """`url` as it may be printed or logged: its password masked (`user:***@host`)."""
    return make_url(url).render_as_string(hide_password=True)
