"""Locks that keep processes sharing one database out of each other's way.

On PostgreSQL several bot processes may share the database (all handle updates, one leads: see
bot/leadership.py),
so the locks are the server's advisory locks: a named lock is held on a connection of its own
and goes with it when the process dies, however it dies. On SQLite only one process may use
the file (see `ActiveLock`), so the same names are locks inside this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import socket
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from loguru import logger
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import shown_url
from storage.files import private_file

# How often a follower asks for the active lock, and the leader checks it still holds it.
ACTIVE_CHECK_SECONDS = 2.0
# The server drops a connection whose client is gone after about this long (lost machine):
# TCP keepalive probes every 2 s after 3 s idle, 3 unanswered.
KEEPALIVE = {
    "tcp_keepalives_idle": "3",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}
# The active process gives up once the database has not answered for this long: under the
# 9 s after which the server drops a silent client's connection (and its lock) by KEEPALIVE, so
# no follower can take over while it still leads, yet a busy moment (a checkpoint, a loaded
# machine) of a few seconds is not taken for a lost connection.
LOST_AFTER_SECONDS = 6.0
ACTIVE_LOCK = "active poller"
# A process waiting for a database it cannot reach says so once, then this often while it lasts.
UNREACHABLE_REMINDER_SECONDS = 60.0


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for an advisory lock called `name`."""
    digest = hashlib.blake2b(f"stars-shop:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def is_postgresql(url: str) -> bool:
    """Whether `url` names a PostgreSQL database (advisory locks) rather than SQLite."""
    return make_url(url).get_backend_name() == "postgresql"


def whoami() -> str:
    """This process as a lock holder names itself to the others: its pid and host."""
    return f"pid {os.getpid()} on {socket.gethostname()}"


class Locks:
    """Named locks: `async with locks.hold("refund:stx1"): ...`."""

    def __init__(self, url: str) -> None:
        self._engine: AsyncEngine | None = None
        if is_postgresql(url):
            # Each lock held keeps a connection: a few at once is all the bot needs.
            self._engine = create_async_engine(
                url, pool_size=2, max_overflow=8, pool_pre_ping=True
            )
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        """Wait for the lock `name`, hold it for the block, release it after."""
        if self._engine is None:
            lock = self._local.get(name)
            if lock is None:
                lock = self._local[name] = asyncio.Lock()
            async with lock:
                yield
            return
        async with self._engine.connect() as connection:
            key = lock_key(name)
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            await connection.commit()  # the lock is the session's: no transaction left open
            try:
                yield
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()

    async def close(self) -> None:
        """Close the connections kept for locks (PostgreSQL); held locks go with them."""
        if self._engine is not None:
            await self._engine.dispose()


def buyer_lock(user_id: int) -> str:
    """The lock of a buyer's holdings: payments and refunds that grant to one buyer (an owned
    one-time product, a timed period that starts where the last ends) take turns."""
    return f"buyer:{user_id}"


async def hold_advisory_locks(session: AsyncSession, names: Iterable[str]) -> None:
    """Take the advisory locks `names` (see `lock_key`) in the session's transaction and hold
    them until it commits or rolls back; nothing else is locked, no row or table.

    PostgreSQL (pg_advisory_xact_lock): waits while another transaction holds one of them. On
    SQLite this does nothing: the one writer already runs transactions one at a time. The
    locks are taken in one order, so two transactions that need the same ones queue instead
    of deadlocking."""
    bind = session.bind
    if bind is None or bind.dialect.name != "postgresql":
        return
    keys = sorted({lock_key(name) for name in names})
    if keys:
        statement = text(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"
        )
        await session.exec(statement, params={"keys": keys})  # type: ignore[call-overload]


# A bigint advisory lock shows in pg_locks as its high and low 32 bits.
HOLDER_QUERY = text(
    "SELECT a.application_name, a.client_addr FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
    "AND l.classid = CAST(:high AS oid) AND l.objid = CAST(:low AS oid) AND l.objsubid = 1"
)


def _lock_ids(name: str) -> dict[str, int]:
    unsigned = lock_key(name) & (2**64 - 1)
    return {"high": unsigned >> 32, "low": unsigned & (2**32 - 1)}


class DatabaseBusy(Exception):
    """Another process holds the database (SQLite); the message is the one line to show."""


class ActiveLock:
    """Held by the one process that leads for this database: it polls Telegram, sends the
    outbox and runs the periodic jobs (bot/leadership.py).

    PostgreSQL: an advisory lock on a connection of its own. The others wait for it (followers,
    handling updates meanwhile), and take over when the holder's connection drops: at once when
    its process dies, within about 10 s when its machine is lost (TCP keepalive). The holder
    checks the lock every few seconds; losing it (the connection broke) ends the process at
    once, before a follower can start leading.

    SQLite: an OS lock on a file beside the database, which only one process can hold. A second
    process refuses to start and says which process holds it.
    """

    def __init__(self, url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._clock = clock  # seconds, for how often an unreachable database is told of
        self._connection: AsyncConnection | None = None
        self._engine: AsyncEngine | None = None
        self._file: Any = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Hold the lock; on PostgreSQL wait for it as a follower until `stop`. False if
        stopped first. On SQLite raises DatabaseBusy when another process holds the file."""
        if not is_postgresql(self.url):
            self._lock_file()
            return True
        self._engine = create_async_engine(
            self.url,
            pool_size=1,
            max_overflow=0,
            connect_args={"server_settings": {**KEEPALIVE, "application_name": f"bot {whoami()}"}},
        )
        waiting_for: str | None = None
        outage = _Outage(shown_url(self.url), self._clock)
        while not stop.is_set():
            try:
                locked = await self._try_lock()
                holder = None if locked else await self.holder() or "another process"
            except Exception as exc:  # down, refusing, or not answering: try again
                outage.failed(exc)
                await self._drop_connection()
            else:
                outage.answered()
                if holder is None:
                    if waiting_for is not None:
                        logger.warning("taking over: {} leads now", whoami())
                    return True
                if holder != waiting_for:  # a follower only while another process holds it
                    logger.warning(
                        "following: {} leads for this database (polls Telegram, sends the "
                        "outbox, runs the periodic jobs); this process handles updates and "
                        "takes over when it goes",
                        holder,
                    )
                    waiting_for = holder
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ACTIVE_CHECK_SECONDS)
        await self.release()
        return False

    async def watch(self) -> None:
        """Return when the lock is lost (PostgreSQL: its connection broke); never on SQLite."""
        if self._connection is None:
            await asyncio.Event().wait()
        while True:
            await asyncio.sleep(ACTIVE_CHECK_SECONDS)
            try:
                assert self._connection is not None
                # The last answer came ACTIVE_CHECK_SECONDS ago.
                async with asyncio.timeout(LOST_AFTER_SECONDS - ACTIVE_CHECK_SECONDS):
                    await self._connection.execute(text("SELECT 1"))
            except Exception as exc:
                logger.error("lost the database connection that holds the active lock: {!r}", exc)
                return

    async def holder(self) -> str | None:
        """Who holds the lock now (PostgreSQL), as its connection named itself."""
        assert self._connection is not None
        row = (await self._connection.execute(HOLDER_QUERY, _lock_ids(ACTIVE_LOCK))).first()
        await self._connection.commit()
        return _describe_holder(row)

    async def release(self) -> None:
        """Let go of the lock (or stop waiting for it), for a follower to take."""
        await self._drop_connection()
        if self._engine is not None:
            await self._engine.dispose()
        if self._file is not None:
            self._file.close()
            self._file = None

    async def _try_lock(self) -> bool:
        assert self._engine is not None
        if self._connection is None:
            self._connection = await self._engine.connect()
        query = text("SELECT pg_try_advisory_lock(:key)")
        locked = (await self._connection.execute(query, {"key": lock_key(ACTIVE_LOCK)})).scalar()
        await self._connection.commit()
        return bool(locked)

    async def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None

    def _lock_file(self) -> None:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return
        path = Path(f"{database}.lock")
        private_file(path)  # it names this host and pid
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise DatabaseBusy(
                f"{database} is in use by another bot process ({holder}); stop it first, or give "
                "this one its own DATABASE_URL: to run several processes on one database, use "
                "PostgreSQL"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{whoami()}\n")
        handle.flush()
        self._file = handle


class _Outage:
    """A database that does not answer, told of in the log: once, then at most once every
    UNREACHABLE_REMINDER_SECONDS while it lasts, and once when it answers again."""

    def __init__(self, where: str, clock: Callable[[], float]) -> None:
        self._where = where  # the URL, its password masked
        self._clock = clock
        self._since: float | None = None
        self._told: float | None = None

    def failed(self, error: Exception) -> None:
        now = self._clock()
        if self._since is None:
            self._since = now
        if self._told is None or now - self._told >= UNREACHABLE_REMINDER_SECONDS:
            self._told = now
            reason = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
            logger.warning(
                "cannot reach the database at {} ({}); trying again every {:g} s",
                self._where,
                reason,
                ACTIVE_CHECK_SECONDS,
            )

    def answered(self) -> None:
        if self._since is None:
            return
        lasted = self._clock() - self._since
        logger.warning("the database at {} answers again, after {:.0f} s", self._where, lasted)
        self._since = self._told = None


async def active_holder(url: str) -> str | None:
    """Which process polls Telegram for this database now, or None (`python -m bot status`)."""
    if not is_postgresql(url):
        return _sqlite_holder(url)
    engine = create_async_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(HOLDER_QUERY, _lock_ids(ACTIVE_LOCK))).first()
    finally:
        await engine.dispose()
    return _describe_holder(row)


def _describe_holder(row: Any) -> str | None:
    if row is None:
        return None
    name, address = row
    return f"{name or 'a process'}{f' ({address})' if address else ''}"


def _sqlite_holder(url: str) -> str | None:
    database = make_url(url).database
    path = Path(f"{database}.lock")
    if not database or not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "another process"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
