"""The active process's lock on PostgreSQL: a stall of the database is waited out for a few
seconds, and given up on before the server could let a standby take over."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text

from storage import create_engine
from storage.locks import ACTIVE_CHECK_SECONDS, LOST_AFTER_SECONDS, ActiveLock, whoami

postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
async def active(any_database_url: str) -> AsyncIterator[ActiveLock]:
    lock = ActiveLock(any_database_url)
    assert await lock.acquire(asyncio.Event())
    yield lock
    await lock.release()


async def lock_backend_pid(database_url: str) -> int:
    """The server process behind the lock's connection, which names itself after this process."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            query = text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")
            return int((await connection.execute(query, {"name": f"bot {whoami()}"})).scalar_one())
    finally:
        await engine.dispose()


@contextlib.contextmanager
def frozen(backend: int) -> Iterator[None]:
    """The lock's server process stops answering until the block ends."""
    os.kill(backend, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(backend, signal.SIGCONT)


@pytest.mark.slow
@postgres_only
async def test_a_stall_shorter_than_the_limit_keeps_the_lock(active, any_database_url):
    backend = await lock_backend_pid(any_database_url)
    watching = asyncio.create_task(active.watch())
    # Frozen from now: the first check, ACTIVE_CHECK_SECONDS from now, waits for the server
    # for most of the time the limit allows.
    with frozen(backend):
        await asyncio.wait({watching}, timeout=LOST_AFTER_SECONDS - 1.5)
    assert LOST_AFTER_SECONDS - 1.5 - ACTIVE_CHECK_SECONDS > 2.0  # longer than a 2 s timeout
    await asyncio.wait({watching}, timeout=ACTIVE_CHECK_SECONDS * 2)  # answered, then checked
    assert not watching.done(), "a few seconds' stall was taken for a lost lock"
    watching.cancel()


@pytest.mark.slow
@postgres_only
async def test_a_stall_past_the_limit_gives_the_lock_up(active, any_database_url):
    backend = await lock_backend_pid(any_database_url)
    watching = asyncio.create_task(active.watch())
    with frozen(backend):
        await asyncio.wait_for(watching, timeout=LOST_AFTER_SECONDS * 3)
