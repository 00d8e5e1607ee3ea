"""Which process does what, when several run the same command on one PostgreSQL database.

Every process handles updates: its runner claims them from the inbox (bot/inbox/claims.py), so
adding a process adds handling. One process, the leader, also does what must happen once:

- it polls Telegram (getUpdates allows one poller per token; in webhook mode every process
  takes requests instead, and only the duties below are the leader's);
- it sends the outbox, under Telegram's global rate (bot/outbox.py says why one sender);
- it runs the periodic jobs that act on the world (reconciliation, reminders, retention, owed
  refunds, removals from private chats), once across the processes, as one process did before.

The leader is the holder of the database's active lock (storage/locks.py `ActiveLock`, a
PostgreSQL advisory lock on a connection of its own). The others wait for it in the background
while they handle updates, and the first to get it takes over the duties when the leader's
connection drops: at once when its process dies, within about 10 s when its machine is lost.
A leader that loses the lock stops the process (ActiveLockLost, exit code 3), before another can
take over: two pollers or two outbox senders must never overlap.

A process killed mid-update loses its claims with its connection, so the others run its updates
(bot/inbox/claims.py).

Releases: each process migrates at start (storage/migrate.py: under a lock, so processes that
start together take turns, and a schema already current is left alone). An old process then
meets a schema newer than it knows: every process checks the schema's version every
SCHEMA_CHECK_SECONDS, and stops cleanly (NewerSchema, exit code 3) when a newer release
migrated the database, so old processes stop within seconds while the new ones serve.

SQLite: one process only. It holds the lock file, leads from the start, and runs everything
itself (its runner runs what its intake stored, without claims).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

from loguru import logger
from sqlalchemy import text

from bot.inbox.claims import LEASE_SECONDS, InboxClaims
from bot.inbox.intake import Intake
from bot.outbox import OutboxSender
from storage import SessionFactory
from storage.claims import INBOX_CHANNEL, OUTBOX_CHANNEL
from storage.locks import ActiveLock, is_postgresql
from storage.migrate import HEAD_REVISION, NewerSchema, newer_schema_line
from storage.notices import Notices

SCHEMA_CHECK_SECONDS = 3.0
LOST_LOCK = (
    "stopped leading: the database connection holding the active lock broke, so another process "
    "may take over; restart this process to handle updates again (and to lead, when it is free)"
)


class WayIn(Protocol):
    """How updates come in (bot/inbox/): the long poll, which one process per token may run,
    or the webhook server, which every process behind the proxy runs."""

    intake: Intake
    every_process: bool
    stopped_at: float | None

    async def run(self, stop: asyncio.Event, grace: float) -> None: ...


class ActiveLockLost(Exception):
    """This process stopped holding the active lock while leading; the message says what to do."""


class Leadership:
    """The process's roles; see the module docstring. `join` before migrating, `when_leading`
    from the startup handlers, `serve` until the stop, then `raise_why_stopped`."""

    def __init__(
        self,
        url: str,
        *,
        schema_check_seconds: float = SCHEMA_CHECK_SECONDS,
        lease: float = LEASE_SECONDS,
    ) -> None:
        self.url = url
        self.lock = ActiveLock(url)
        self.schema_check_seconds = schema_check_seconds
        self.lease = lease
        self.leading = False
        self._duties: list[Callable[[], object]] = []
        self._lost = False
        self._newer: str | None = None

    @property
    def shared(self) -> bool:
        """Whether other processes may share the database (PostgreSQL)."""
        return is_postgresql(self.url)

    async def join(self) -> None:
        """SQLite: take the database's lock file, or raise DatabaseBusy. PostgreSQL: nothing
        yet; the active lock is waited for in the background by `serve`."""
        if not self.shared:
            self.leading = await self.lock.acquire(asyncio.Event())

    def claims(self) -> InboxClaims | None:
        """How the runner shares the inbox with the other processes; None on SQLite."""
        if not self.shared:
            return None
        return InboxClaims(self.url, lease=self.lease, renew_every=self.lease / 3)

    def when_leading(self, duty: Callable[[], object]) -> None:
        """Run `duty` (start a leader's part) now if leading, else once this process leads."""
        if self.leading:
            duty()
        else:
            self._duties.append(duty)

    async def serve(
        self,
        stop: asyncio.Event,
        way_in: WayIn,
        outbox: OutboxSender,
        readers: SessionFactory,
        *,
        grace: float,
    ) -> None:
        """Handle updates until `stop`, and lead once the lock is ours: the long poll runs only
        while leading, the webhook server in every process. Then let the running handlers
        finish for up to `grace` seconds."""
        runner = way_in.intake.runner
        claims = runner.claims
        notices = Notices(
            self.url,
            {
                OUTBOX_CHANNEL: lambda priority: outbox.wake(int(priority) if priority else None),
                **({INBOX_CHANNEL: lambda _: claims.wake()} if claims else {}),
            },
        )
        notices.start()
        if claims is not None:
            await runner.start()  # handle from now on; the way in, once it runs, starts it too
        watches = [asyncio.create_task(self._watch_schema(stop, readers))]
        try:
            if way_in.every_process:
                watches.append(asyncio.create_task(self._lead_when_free(stop)))
                await way_in.run(stop, grace)
            elif await self._lead(stop, watches):
                await way_in.run(stop, grace)
            else:
                await way_in.intake.drain(grace)
        finally:
            for watch in watches:
                watch.cancel()
            await notices.stop()
            await self.lock.release()

    async def _lead(self, stop: asyncio.Event, watches: list[asyncio.Task[None]]) -> bool:
        """Wait for the lock (until `stop`: False), then take up the leader's duties, and
        watch that the lock stays ours."""
        if not self.leading:
            self.leading = await self.lock.acquire(stop)
        if not self.leading:
            return False
        for duty in self._duties:
            duty()
        watches.append(asyncio.create_task(self._watch_lock(stop)))
        return True

    async def _lead_when_free(self, stop: asyncio.Event) -> None:
        """Beside a way in that every process runs: lead once the lock is ours."""
        watches: list[asyncio.Task[None]] = []
        try:
            if await self._lead(stop, watches):
                await asyncio.gather(*watches)
        finally:
            for watch in watches:
                watch.cancel()

    def raise_why_stopped(self) -> None:
        """After `serve`: raise what stopped the process, if it was not asked to stop."""
        if self._newer is not None:
            raise NewerSchema(self._newer)
        if self._lost:
            raise ActiveLockLost(LOST_LOCK)

    async def _watch_lock(self, stop: asyncio.Event) -> None:
        await self.lock.watch()
        self._lost = True
        stop.set()

    async def _watch_schema(self, stop: asyncio.Event, readers: SessionFactory) -> None:
        """Stop the process once a newer release migrated the database."""
        while True:
            await asyncio.sleep(self.schema_check_seconds)
            version: str | None = None
            with contextlib.suppress(Exception):  # an outage is the lock's and writer's to tell
                async with readers() as session:
                    query = text("SELECT version_num FROM alembic_version")
                    version = (await session.exec(query)).scalar()  # type: ignore[call-overload]
            if version is not None and version != HEAD_REVISION:
                self._newer = newer_schema_line(version)
                logger.warning("{}", self._newer)
                stop.set()
                return
