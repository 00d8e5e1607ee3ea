"""This process's share of the inbox, when several processes share one PostgreSQL database.

The runner does not run what this process stored: every process, this one included, claims
what to run from the inbox table (storage/claims.py: a chat's pending rows go to one process at
a time, oldest first, each under a lease). A process claims only what fits its runner (the
runner's `memory_limit`), so a busy process leaves the rest to the others, and a flood waits in
the table, not in memory.

When to claim: at once when this process stored updates, when another process stored some
(a NOTIFY, see storage/notices.py), when the runner has room again after a full claim, and
every `look_every` seconds (another process was killed or released its rows, or a notice was
lost).
While it holds rows, the lease is renewed every `renew_every` seconds; at a clean stop the rows
it still holds are released, for the others to take at once instead of after the lease.

Claims and renewals run on a connection of their own, not through the writer: a renewal must
not wait behind a busy writer's queue until the lease runs out (seen under load: a follower ran
again what the leader held), and the claim's lock (held to its commit) must not be held across
a group commit of other writes. So storing a batch and claiming it are two transactions, not
one: a short one more per batch, which the local wake makes follow at once. The connection is
named after the process, and a claim holds only while it is open (storage/claims.py), so a
killed process's updates are taken at once.

SQLite (one process) has no claims: the runner runs what the intake stored, as before, and the
claim columns stay empty there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.telegram.failures import describe_failure
from storage import create_session_factory
from storage.claims import ClaimedRow, claim, process_id, release, renew
from storage.locks import KEEPALIVE
from storage.writer import Result, Work

LEASE_SECONDS = 30.0
RENEW_SECONDS = 10.0
LOOK_SECONDS = 1.0


class InboxClaims:
    """Claims rows for the runner: `start(room, take)` runs until `stop`; see the module
    docstring. `room()` says how many more rows the runner can hold; `take(rows)` gives it the
    rows claimed, oldest first."""

    def __init__(
        self,
        url: str,
        *,
        lease: float = LEASE_SECONDS,
        renew_every: float = RENEW_SECONDS,
        look_every: float = LOOK_SECONDS,
    ) -> None:
        if renew_every >= lease:
            raise ValueError("the lease must outlast the time between renewals")
        self.url = url
        self.lease = lease
        self.renew_every = renew_every
        self.look_every = look_every
        self.me = process_id()
        self.claiming = True  # False once the process stops: renew, claim no more
        self._wake = asyncio.Event()
        self._full = False  # the last claim took all the room: more may be waiting
        self._task: asyncio.Task[None] | None = None
        self._engine: AsyncEngine | None = None

    def start(self, room: Callable[[], int], take: Callable[[list[ClaimedRow]], None]) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(room, take), name="inbox claims")

    def wake(self) -> None:
        """Updates were stored (here or by another process): claim what fits, now."""
        self._wake.set()

    def room_again(self) -> None:
        """The runner has room again: claim more if the last claim left some behind."""
        if self._full:
            self._wake.set()

    async def stop(self) -> None:
        """Release what this process still holds (its handlers finished or were cut off), for
        the other processes to claim now."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            released = await self._write(lambda session: release(session, self.me))
        except Exception as exc:
            logger.warning(
                "could not release the claimed inbox rows ({}); others take them when the "
                "lease runs out",
                describe_failure(exc),
            )
            released = 0
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        if released:
            logger.info("released {} inbox updates for the other processes", released)

    async def _write(self, work: Work[Result]) -> Result:
        """`work` in a transaction of its own, on the claims' connection."""
        if self._engine is None:
            # Named after the process: its claims hold while this connection is open.
            settings = {**KEEPALIVE, "application_name": self.me}
            self._engine = create_async_engine(
                self.url, pool_size=1, max_overflow=0, connect_args={"server_settings": settings}
            )
        async with create_session_factory(self._engine)() as session:
            result = await work(session)
            await session.commit()
        return result

    async def _run(
        self, room: Callable[[], int], take: Callable[[list[ClaimedRow]], None]
    ) -> None:
        loop = asyncio.get_running_loop()
        renew_at = loop.time() + self.renew_every
        while True:
            timeout = max(0.0, min(self.look_every, renew_at - loop.time()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()
            try:
                if loop.time() >= renew_at:
                    renew_at = loop.time() + self.renew_every
                    await self._write(lambda session: renew(session, self.me, self.lease))
                if self.claiming and (space := room()) > 0:
                    rows = await self._write(
                        lambda session: claim(session, self.me, space, self.lease)
                    )
                    self._full = len(rows) == space
                    if rows:
                        take(rows)
            except Exception as exc:
                logger.warning("inbox claims failed ({}); trying again", describe_failure(exc))
                await asyncio.sleep(self.look_every)
