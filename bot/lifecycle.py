"""The process's parts start and stop through aiogram's own hooks, and periodic work runs on one
helper.

`bot.app` emits the dispatcher's startup once the process has migrated, before the first update
is fetched, and its shutdown after the last handler finished or was cut off. The outbox and
most jobs start only in the leader, once it leads (bot/leadership.py).

The core parts are started by the dispatcher's own startup handlers (`register`), so a handler
any router registers with `@router.startup()` runs after them, with the database running (and,
in the leader, the outbox and the jobs). Shutdown runs every handler in the reverse order of
startup (`emit_shutdown`), so the core stops last; each handler gets what is left of the stop's
time budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Dispatcher, Router
from loguru import logger

from bot.leadership import Leadership
from bot.menus import register_menus
from bot.outbox import OutboxSender
from bot.telegram.failures import describe_failure
from storage.database import Database

# Whatever a shutdown handler's share of the budget, it gets at least this long, so that the
# database is closed even when the handlers before it used up the time.
SHUTDOWN_FLOOR_SECONDS = 1.0


class Every:
    """Runs `job` at start and then `interval` seconds after each run ends, until stopped.

    An `interval` of 0 runs it at start only. A run that fails is logged, once, and the next
    one comes on time: periodic work must outlive any one failure. `wake` starts the next run
    at once (or right after the one in progress), for work that is owed sooner than the
    interval.
    """

    def __init__(self, interval: float, job: Callable[[], Awaitable[object]], *, name: str):
        self.interval = interval
        self.job = job
        self.name = name
        self._task: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def finished(self) -> None:
        """Return when it ran for the last time (an interval of 0), or was stopped."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def stop(self) -> None:
        """Stop at once, a run in progress included (each job's steps are transactions)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        """Run the job now rather than at the end of the interval."""
        self._woken.set()

    async def _run(self) -> None:
        while True:
            self._woken.clear()
            try:
                await self.job()
            except Exception as exc:
                logger.error("{} failed: {}", self.name, describe_failure(exc))
            if self.interval <= 0:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._woken.wait()


class Jobs:
    """The periodic jobs of a process, stopped together. `jobs` run in one process at a time
    (the leader's: they act on the world); `everywhere` in each process, as each keeps its own
    view (the stock's count, the chats' set-up)."""

    def __init__(self, jobs: Sequence[Every], everywhere: Sequence[Every] = ()) -> None:
        self.jobs = list(jobs)
        self.everywhere = list(everywhere)

    def start_everywhere(self) -> None:
        for job in self.everywhere:
            job.start()

    def start(self) -> None:
        """The leader's jobs."""
        for job in self.jobs:
            job.start()

    async def stop(self) -> None:
        await asyncio.gather(*(job.stop() for job in self.jobs + self.everywhere))


def register(dispatcher: Dispatcher) -> None:
    """The core parts, on the dispatcher itself: they start before any router's startup
    handlers and (by `emit_shutdown`) stop after every router's shutdown handlers."""
    dispatcher.startup.register(start_database)
    dispatcher.startup.register(start_outbox)
    dispatcher.startup.register(start_jobs)
    dispatcher.startup.register(register_menus)
    # In the order of the startup above: `emit_shutdown` runs them from the last.
    dispatcher.shutdown.register(close_database)
    dispatcher.shutdown.register(stop_outbox)
    dispatcher.shutdown.register(stop_jobs)


async def start_database(database: Database) -> None:
    database.start()


async def close_database(database: Database) -> None:
    await database.close()


async def start_outbox(outbox: OutboxSender, leadership: Leadership) -> None:
    leadership.when_leading(outbox.start)


async def stop_outbox(outbox: OutboxSender, stop_deadline: float) -> None:
    """Send what is due until the stop's deadline."""
    await outbox.stop(within=max(0.2, stop_deadline - time.monotonic()))


async def start_jobs(jobs: Jobs, leadership: Leadership) -> None:
    jobs.start_everywhere()
    leadership.when_leading(jobs.start)


async def stop_jobs(jobs: Jobs) -> None:
    await jobs.stop()


async def emit_shutdown(root: Router, /, stop_deadline: float, **kwargs: Any) -> None:
    """aiogram's `emit_shutdown`, last handler first: the sub-routers' handlers (last router
    first) before a router's own (last registered first). Each gets what is left until
    `stop_deadline` (time.monotonic()), at least SHUTDOWN_FLOOR_SECONDS; one that fails or runs
    out of time is logged and the next still runs."""
    await _shutdown(root, {**kwargs, "stop_deadline": stop_deadline})


async def _shutdown(router: Router, kwargs: dict[str, Any]) -> None:
    for sub_router in reversed(router.sub_routers):
        await _shutdown(sub_router, kwargs)
    for handler in reversed(router.shutdown.handlers):
        budget = max(SHUTDOWN_FLOOR_SECONDS, kwargs["stop_deadline"] - time.monotonic())
        try:
            async with asyncio.timeout(budget):
                await handler.call(**kwargs, router=router)
        except Exception as exc:
            logger.error(
                "shutdown handler {} failed: {}",
                getattr(handler.callback, "__qualname__", handler.callback),
                describe_failure(exc),
            )
