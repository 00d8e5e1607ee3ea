"""Bookkeeping writes that run beside the handlers: marking an update done, a failed attempt,
the record of an answered pre-checkout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger

from bot.telegram.failures import describe_failure


class Bookkeeping:
    """Tasks nobody waits for but the stop. A failure is logged: the row it was about stays
    pending, so its update runs again at the next start (handlers are idempotent)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def tasks(self) -> set[asyncio.Task[Any]]:
        return set(self._tasks)

    def run(self, work: Awaitable[Any]) -> None:
        async def logged() -> None:
            try:
                await work
            except Exception as exc:
                logger.warning("inbox bookkeeping failed: {}", describe_failure(exc))

        task = asyncio.create_task(logged())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def wait_until(deadline: float, running: Callable[[], set[asyncio.Task[Any]]]) -> None:
    """Wait for the tasks `running()` returns until `deadline` (time.monotonic()), asking again
    as they finish (a finishing handler may start bookkeeping), then cancel those left."""
    while (tasks := running()) and (remaining := deadline - time.monotonic()) > 0:
        await asyncio.wait(tasks, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
