"""Hearing at once what another process wrote (PostgreSQL LISTEN/NOTIFY).

Inserts into the inbox and the outbox NOTIFY a channel (migration 0010's triggers, at commit).
A process that listens is woken within a millisecond or two of another process's commit,
instead of finding the rows at its next look at the table: a buyer's confirmation queued by one
process is sent by the leader at once (see bot/outbox.py), and updates one process stored are
claimed by another at once (see bot/inbox/claims.py). A notice carries at most a hint (the
outbox's: the most urgent priority queued); the table is the truth, and whoever is woken reads
it. The listeners still look at the table every so often,
so a notice lost with a broken connection costs a little time, never an update or a message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from loguru import logger
from sqlalchemy.ext.asyncio import create_async_engine

from storage.locks import KEEPALIVE, is_postgresql

# After the listening connection broke, connect again after this long.
RECONNECT_SECONDS = 1.0


class Notices:
    """One connection LISTENing to `channels` (by name, each with what to call with a notice's
    payload; "" after a reconnection, for what may have been missed). On SQLite (one process)
    there is nothing to hear, and it does nothing."""

    def __init__(self, url: str, channels: dict[str, Callable[[str], None]]) -> None:
        self.url = url
        self.channels = channels
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if is_postgresql(self.url) and self.channels and self._task is None:
            self._task = asyncio.create_task(self._listen(), name="database notices")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _listen(self) -> None:
        # SQLAlchemy's engine reads DATABASE_URL as the rest of the bot does; the driver's own
        # connection underneath listens.
        engine = create_async_engine(
            self.url, pool_size=1, max_overflow=0, connect_args={"server_settings": KEEPALIVE}
        )
        try:
            while True:
                try:
                    async with engine.connect() as connection:
                        raw = await connection.get_raw_connection()
                        await self._hear(raw.driver_connection)
                    logger.warning("the connection listening for database notices broke")
                except Exception as exc:
                    logger.warning("cannot listen for database notices: {!r}", exc)
                await asyncio.sleep(RECONNECT_SECONDS)
        finally:
            await engine.dispose()

    async def _hear(self, driver: Any) -> None:
        """Listen on asyncpg's connection `driver` until it breaks."""
        broken = asyncio.Event()
        driver.add_termination_listener(lambda *_: broken.set())
        for channel, wake in self.channels.items():
            await driver.add_listener(channel, _caller(wake))
        # Whatever was announced while no connection listened: look now.
        for wake in self.channels.values():
            wake("")
        await broken.wait()


def _caller(wake: Callable[[str], None]) -> Callable[..., None]:
    """asyncpg's listener: called with the connection, the sender's pid, the channel and the
    payload."""

    def on_notice(_connection: object, _pid: int, _channel: str, payload: str) -> None:
        wake(payload)

    return on_notice
