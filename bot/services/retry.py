"""Retrying a database step that failed for a passing reason (a lock, a dropped connection)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from loguru import logger
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

T = TypeVar("T")

DB_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)


async def with_db_retry(
    step: Callable[[], Awaitable[T]], *, what: str, delays: tuple[float, ...] = DB_RETRY_DELAYS
) -> T:
    """Run `step` (one whole transaction), again after each delay while the database fails."""
    for attempt, delay in enumerate((*delays, None), start=1):
        try:
            return await step()
        except (OperationalError, PoolTimeoutError) as exc:  # locked, gone, pool exhausted
            if delay is None:
                logger.error("{}: database failed {} times, giving up: {}", what, attempt, exc)
                raise
            logger.warning("{}: database failed ({}), retrying in {}s", what, exc, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
