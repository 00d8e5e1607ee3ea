"""A lone bot whose PostgreSQL cannot be reached waits for it, saying so without flooding the
log, and never calls itself a standby: that is for a process that another one keeps waiting."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
from loguru import logger
from sqlalchemy.engine import make_url

from storage import locks
from storage.locks import ActiveLock
from tests.postgres import free_port

postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
PASSWORD = "hunter2"
CANNOT_REACH = "cannot reach the database at postgresql+asyncpg://shop:***@127.0.0.1:"


@pytest.fixture
def logged() -> Iterator[list[str]]:
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(m.record["message"]), level="DEBUG")
    yield lines
    logger.remove(sink)


INTERVAL = locks.ACTIVE_CHECK_SECONDS  # between attempts, as the clock below tells it
MINUTE = 60.0  # at most one line this often while the database stays unreachable


class Attempts:
    """A clock that moves on by INTERVAL each time it is read (a failed attempt reads it once),
    and stops the loop at the `last` attempt."""

    def __init__(self, stop: asyncio.Event, last: int) -> None:
        self.stop, self.last, self.reads = stop, last, 0

    def __call__(self) -> float:
        self.reads += 1
        if self.reads == self.last:
            self.stop.set()
        return (self.reads - 1) * INTERVAL


async def test_an_unreachable_database_is_told_of_once_then_once_a_minute(logged, monkeypatch):
    # The attempts come as fast as the refusals; the clock says they came 2 s apart.
    monkeypatch.setattr(locks, "ACTIVE_CHECK_SECONDS", 0.0)
    stop = asyncio.Event()
    clock = Attempts(stop, last=2 * int(MINUTE / INTERVAL) + 1)
    url = f"postgresql+asyncpg://shop:{PASSWORD}@127.0.0.1:{free_port()}/shop"

    assert not await asyncio.wait_for(ActiveLock(url, clock=clock).acquire(stop), 30)

    assert clock.reads == clock.last  # one attempt after another, 0 to 120 s
    told = [line for line in logged if line.startswith(CANNOT_REACH)]
    assert len(told) == 3, logged  # at 0, 60 and 120 s
    assert not [line for line in logged if "standby" in line or PASSWORD in line]


@contextlib.asynccontextmanager
async def forwarder(port: int, to: tuple[str, int]) -> AsyncIterator[None]:
    """From now on, `port` answers as the server at `to` does (before, nothing listened)."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*to)
        await asyncio.gather(pipe(reader, server_writer), pipe(server_reader, writer))

    server = await asyncio.start_server(connect, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()


@postgres_only
async def test_a_lone_process_takes_the_lock_when_its_database_comes_back(
    logged, any_database_url
):
    real = make_url(any_database_url)
    port = free_port()  # where the database will be, once it answers
    lock = ActiveLock(real.set(port=port).render_as_string(hide_password=False))
    waiting = asyncio.create_task(lock.acquire(asyncio.Event()))
    try:
        await _told(
            logged, f"cannot reach the database at postgresql+asyncpg://postgres@127.0.0.1:{port}/"
        )
        async with forwarder(port, (real.host or "127.0.0.1", real.port or 5432)):
            assert await asyncio.wait_for(waiting, 30)  # retried, and nobody else held it
            await lock.release()
    finally:
        waiting.cancel()
    assert [line for line in logged if "answers again" in line]
    assert not [line for line in logged if "standby" in line]


async def _told(lines: list[str], text: str, timeout: float = 30.0) -> None:
    """Until a line logged starts with `text`, woken by each line logged."""
    logged = asyncio.Event()
    sink = logger.add(lambda _: logged.set(), level="DEBUG")
    try:
        async with asyncio.timeout(timeout):
            while not any(line.startswith(text) for line in lines):
                await logged.wait()
                logged.clear()
    finally:
        logger.remove(sink)
