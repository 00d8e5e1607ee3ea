"""Long polling into the durable inbox.

Polling starts by removing a webhook, if one is set (deleteWebhook, keeping the updates
Telegram holds), so that a switch from webhook mode loses nothing.

Each batch getUpdates returns is written to the `inbox` table (by the intake); only then is it
confirmed to Telegram, by the next getUpdates asking for the updates after it. So every update
is fetched and parsed once, a kill -9 loses nothing (Telegram or the inbox still has each
update), and the poller always waits in a long poll.

While the inbox cannot be written (the database is locked or gone), the fetched updates stay
unconfirmed and are asked for again at a slow pace; pre-checkouts among them are still answered.
An update the inbox cannot store even alone is parked there (see `Intake.store`), and confirmed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import TelegramMethod
from aiogram.utils.backoff import Backoff, BackoffConfig
from loguru import logger

from bot.inbox.intake import Intake
from bot.telegram.failures import (
    CALL_ERRORS,
    CONFLICT_BACKOFF,
    FETCH_BACKOFF,
    describe_failure,
)

# Storing a batch takes milliseconds; when it takes longer than this, new updates are fetched
# meanwhile (without confirming the batch), so that pre-checkouts are still answered in time.
STORE_PATIENCE_SECONDS = 0.5
# After the inbox could not be written, try again after this long.
STORE_RETRY_SECONDS = 1.0


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, answered as plain JSON objects: each is stored as it came and parsed once,
    when its handler runs."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class LongPoll:
    """Fetches updates with getUpdates into the intake, and confirms them once stored."""

    # Telegram lets one process per token poll (bot/leadership.py: the leader).
    every_process = False

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        *,
        polling_timeout: int = 25,
        allowed_updates: list[str] | None = None,
        fetch_backoff: BackoffConfig = FETCH_BACKOFF,
        conflict_backoff: BackoffConfig = CONFLICT_BACKOFF,
        store_patience: float = STORE_PATIENCE_SECONDS,
    ) -> None:
        self.bot = bot
        self.intake = intake
        self.polling_timeout = polling_timeout
        self.allowed_updates = allowed_updates
        self.fetch_backoff = fetch_backoff
        self.conflict_backoff = conflict_backoff
        self.store_patience = store_patience
        self.stopped_at: float | None = None
        # The next offset to ask for, and the one Telegram has been told.
        self._offset: int | None = None
        self._told_offset: int | None = None
        # Fetched, not yet in the inbox table: Telegram still holds them.
        self._unstored: dict[int, dict[str, Any]] = {}
        self._storing: asyncio.Future[bool] | None = None

    async def run(self, stop: asyncio.Event, grace: float) -> None:
        """Poll until `stop` is set; then let running handlers finish for up to `grace` seconds."""
        await self.intake.runner.start()
        await self._delete_webhook(stop)
        failures = Backoff(self.fetch_backoff)
        conflicts = Backoff(self.conflict_backoff)
        while not stop.is_set():
            # Until a batch is stored (slow, or failed), Telegram keeps it; fetching goes on
            # without waiting, so that a pre-checkout behind it is still answered in time.
            if self._unstored:
                await self._store(stop)
            try:
                batch = await self._fetch(stop)
            except TelegramConflictError as exc:
                delay = next(conflicts)
                logger.error("{} retrying in {:g}s", conflict_advice(exc.message), delay)
                await sleep_or_stop(stop, delay)
                continue
            except Exception as exc:
                delay = next(failures)
                logger.error(
                    "getUpdates failed ({}); retrying in {:.0f}s", describe_failure(exc), delay
                )
                await sleep_or_stop(stop, delay)
                continue
            failures.reset()
            conflicts.reset()
            if batch is None:  # stopped while waiting
                break
            self._take(batch)
        if self._storing is not None:
            await asyncio.gather(self._storing, return_exceptions=True)
        self.stopped_at = time.monotonic()
        await self.intake.drain(grace)
        await self._confirm_stored()

    async def _delete_webhook(self, stop: asyncio.Event) -> None:
        """Telegram refuses getUpdates while a webhook is set: remove it (a switch from webhook
        mode), keeping the updates it holds, which then come by getUpdates."""
        await call_until_done(
            stop,
            lambda: self.bot.delete_webhook(drop_pending_updates=False, request_timeout=10),
            "deleteWebhook",
            self.fetch_backoff,
        )

    def _confirmable(self) -> int | None:
        """The offset that confirms everything stored: unstored updates hold it back."""
        return min(self._unstored) if self._unstored else self._offset

    async def _fetch(self, stop: asyncio.Event) -> list[dict[str, Any]] | None:
        # Unstored updates hold the offset: asking again returns them at once, so don't wait.
        offset = self._confirmable()
        poll_seconds = 0 if self._unstored else self.polling_timeout
        call = GetRawUpdates(
            offset=offset, timeout=poll_seconds, allowed_updates=self.allowed_updates
        )
        fetch = asyncio.ensure_future(self.bot(call, request_timeout=poll_seconds + 15))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not fetch.done():
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)
            return None
        self._told_offset = offset
        return fetch.result()

    def _take(self, batch: list[dict[str, Any]]) -> None:
        """Pre-checkouts to their handler now; the rest waits to be stored."""
        fresh = [raw for raw in batch if self._is_new(int(raw["update_id"]))]
        if not fresh:
            return
        self._unstored.update(self.intake.take(fresh))
        self._offset = max(int(raw["update_id"]) for raw in fresh) + 1

    def _is_new(self, update_id: int) -> bool:
        """Not taken before: an update asked for again while it was being stored, or stored
        (by this run or the last) but not yet confirmed, is not taken twice. One below the
        offset just asked for is new: Telegram sends only what it has, and after a week
        without updates it starts update_id again at a random, perhaps lower, value."""
        if update_id in self._unstored:
            return False
        if self._told_offset is not None and update_id < self._told_offset:
            return True
        return update_id >= (self._offset or 0)

    async def _store(self, stop: asyncio.Event) -> bool:
        """Store the fetched updates and queue them; False while that is slow or failed."""
        if self._storing is None:
            self._storing = asyncio.ensure_future(self._store_batch(dict(self._unstored)))
        stopped = asyncio.ensure_future(stop.wait())
        waiters: set[asyncio.Future[Any]] = {self._storing, stopped}
        await asyncio.wait(
            waiters, timeout=self.store_patience, return_when=asyncio.FIRST_COMPLETED
        )
        stopped.cancel()
        if not self._storing.done():
            return False
        stored, self._storing = self._storing.result(), None
        if not stored:
            await sleep_or_stop(stop, STORE_RETRY_SECONDS)
        return stored

    async def _store_batch(self, batch: dict[int, dict[str, Any]]) -> bool:
        """True when the whole batch is in the inbox; what is in it is no longer held."""
        kept = await self.intake.store(batch)
        for update_id in kept:
            del self._unstored[update_id]
        return len(kept) == len(batch)

    async def _confirm_stored(self) -> None:
        """Tell Telegram that the stored updates arrived, so a restart is not sent them again.
        Updates fetched but not stored stay unconfirmed: Telegram sends them again."""
        offset = self._confirmable()
        if offset is None or offset == self._told_offset:
            return
        try:
            # Short: the whole stop must fit in 10 s. The one update it may return is not
            # stored, so Telegram sends it again after the restart.
            call = GetRawUpdates(offset=offset, timeout=0, limit=1)
            await self.bot(call, request_timeout=1)
        except Exception as exc:
            logger.warning(
                "could not confirm the stored updates on stop: {}", describe_failure(exc)
            )


def conflict_advice(description: str) -> str:
    if "webhook" in description:
        return (
            "a webhook is set for this bot token, so getUpdates cannot run: remove it with "
            "deleteWebhook (curl https://api.telegram.org/bot$BOT_TOKEN/deleteWebhook) or "
            "stop the server that set it;"
        )
    return (
        "another process is polling Telegram with this bot token (409 Conflict): stop the "
        "other instance, only one may run;"
    )


async def call_until_done(
    stop: asyncio.Event,
    call: Callable[[], Awaitable[object]],
    method: str,
    backoff: BackoffConfig,
) -> bool:
    """Make a Bot API call that must succeed before going on, again after each failure on
    `backoff`'s schedule; False when stopped first."""
    failures = Backoff(backoff)
    while not stop.is_set():
        try:
            await call()
            return True
        except CALL_ERRORS as exc:
            delay = next(failures)
            reason = describe_failure(exc)
            logger.error("{} failed ({}); retrying in {:.0f}s", method, reason, delay)
            await sleep_or_stop(stop, delay)
    return False


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    waiter = asyncio.ensure_future(stop.wait())
    _, pending = await asyncio.wait({waiter}, timeout=seconds)
    for task in pending:
        task.cancel()
