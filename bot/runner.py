"""Long polling that confirms an update to Telegram only after its handler finished.

aiogram's own polling moves the getUpdates offset past a batch while its handlers still run, so
a process killed at that moment never sees those updates again. Here the offset stays at the
oldest unfinished update: a crash, a SIGKILL or a handler that raises leaves it unconfirmed and
Telegram delivers it again. Handlers of a batch still run concurrently.

One exception keeps new updates flowing: Telegram returns only 100 updates past the offset, so
when 90 wait behind a long-running update that is not a payment (an admin's /refund waiting out
a 429, say), that one is confirmed early and left to finish.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from loguru import logger

# A failing update is handed to its handler again after these pauses, then given up (logged
# with its raw JSON; reconciliation is the last net for a payment) so that one poison update
# cannot hold back every later confirmation for long.
RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# Telegram returns at most 100 updates past the offset, and the offset cannot pass the oldest
# unfinished update. When this many have piled up behind it, a failed update is given up and a
# long-running one that may be (not a payment) is confirmed early and left to finish: otherwise
# nothing newer (a pre-checkout with a 10 s deadline) would be fetched.
WINDOW_LIMIT = 90
# While handlers run, Telegram keeps returning their (unconfirmed) updates at once; poll for
# new ones at this pace instead of spinning.
BUSY_POLL_SECONDS = 0.1


@dataclass
class _Failure:
    attempts: int
    retry_at: float
    update: Update


@dataclass
class PollerState:
    """What the poller knows about updates it has received but not yet confirmed."""

    running: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    finished: set[int] = field(default_factory=set)
    failed: dict[int, _Failure] = field(default_factory=dict)
    # Cancelled at stop before they finished: never confirmed, so Telegram delivers them again.
    abandoned: set[int] = field(default_factory=set)
    # Confirmed early while still running (see WINDOW_LIMIT); awaited at stop like the others.
    detached: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    highest_seen: int | None = None

    def next_offset(self) -> int | None:
        unfinished = set(self.running) | set(self.failed) | self.abandoned
        if unfinished:
            return min(unfinished)
        return None if self.highest_seen is None else self.highest_seen + 1

    def forget_below(self, offset: int | None) -> None:
        if offset is not None:
            self.finished = {u for u in self.finished if u >= offset}


class AtLeastOncePoller:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        polling_timeout: int = 25,
        allowed_updates: list[str] | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        must_finish: Callable[[Update], bool] = lambda update: True,
        **handler_data: Any,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.polling_timeout = polling_timeout
        self.allowed_updates = allowed_updates
        self.retry_delays = retry_delays
        # Updates that are confirmed only once handled, whatever waits behind them (payments).
        self.must_finish = must_finish
        self._updates: dict[int, Update] = {}
        self.handler_data = handler_data
        self.state = PollerState()
        self._progress = asyncio.Event()
        self.stopped_at: float | None = None

    async def run(self, stop: asyncio.Event, grace: float) -> None:
        """Poll until `stop` is set; then let running handlers finish for up to `grace` seconds."""
        failures = 0
        while not stop.is_set():
            offset = self.state.next_offset()
            self.state.forget_below(offset)
            busy = bool(self.state.running or self.state.failed)
            try:
                updates = await self._fetch(offset, 0 if busy else self.polling_timeout, stop)
            except Exception as exc:
                failures += 1
                delay = min(2.0**failures, 30.0)
                logger.error("getUpdates failed ({}); retrying in {:.0f}s", exc, delay)
                await _sleep_or_stop(stop, delay)
                continue
            failures = 0
            if updates is None:  # stopped while waiting
                break
            self._dispatch(updates)
            self._relieve_window()
            if self.state.running or self.state.failed:
                self._progress.clear()
                await _sleep_or_stop(stop, BUSY_POLL_SECONDS, self._progress)
        await self._finish(grace)

    async def _fetch(
        self, offset: int | None, poll_seconds: int, stop: asyncio.Event
    ) -> list[Update] | None:
        call = GetUpdates(
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
        return fetch.result()

    def _dispatch(self, updates: list[Update]) -> None:
        now = time.monotonic()
        for update in updates:
            update_id = update.update_id
            seen = self.state.highest_seen
            self.state.highest_seen = update_id if seen is None else max(seen, update_id)
            failure = self.state.failed.get(update_id)
            if update_id in self.state.running or update_id in self.state.finished:
                continue
            if failure is not None and failure.retry_at > now:
                continue
            task = asyncio.create_task(self._handle(update), name=f"update-{update_id}")
            self.state.running[update_id] = task
            self._updates[update_id] = update

    async def _handle(self, update: Update) -> None:
        update_id = update.update_id
        try:
            await self.dispatcher.feed_update(self.bot, update, **self.handler_data)
        except asyncio.CancelledError:
            if update_id not in self.state.detached:
                self.state.abandoned.add(update_id)
            raise
        except Exception:
            if update_id in self.state.detached:  # already confirmed: nothing will bring it back
                logger.opt(exception=True).error(
                    "update {} failed after it was confirmed", update_id
                )
            else:
                self._record_failure(update)
        else:
            self.state.failed.pop(update_id, None)
            self.state.finished.add(update_id)
        finally:
            self.state.running.pop(update_id, None)
            self.state.detached.pop(update_id, None)
            self._updates.pop(update_id, None)
            self._progress.set()

    def _record_failure(self, update: Update) -> None:
        update_id = update.update_id
        previous = self.state.failed.get(update_id)
        attempts = previous.attempts + 1 if previous else 1
        if attempts > len(self.retry_delays):
            logger.opt(exception=True).error("update {} failed {} times", update_id, attempts)
            self._give_up(update_id, update)
            return
        delay = self.retry_delays[attempts - 1]
        logger.opt(exception=True).warning(
            "update {} failed (attempt {}); Telegram keeps it, retrying in {}s",
            update_id,
            attempts,
            delay,
        )
        self.state.failed[update_id] = _Failure(attempts, time.monotonic() + delay, update)

    def _relieve_window(self) -> None:
        offset = self.state.next_offset()
        seen = self.state.highest_seen
        if offset is None or seen is None or seen - offset < WINDOW_LIMIT:
            return
        if offset in self.state.failed:
            logger.error("update {} holds back {} newer updates", offset, seen - offset)
            self._give_up(offset, self.state.failed[offset].update)
        elif offset in self.state.running and not self.must_finish(self._updates[offset]):
            logger.warning(
                "update {} still runs with {} newer waiting: confirming it early",
                offset,
                seen - offset,
            )
            self.state.detached[offset] = self.state.running.pop(offset)
            self.state.finished.add(offset)

    def _give_up(self, update_id: int, update: Update) -> None:
        """Confirm a failed update after all, keeping its raw JSON in the log."""
        logger.error(
            "giving up on update {} (reconciliation is the last net for a payment): {}",
            update_id,
            update.model_dump_json(exclude_none=True),
        )
        self.state.failed.pop(update_id, None)
        self.state.finished.add(update_id)

    async def _finish(self, grace: float) -> None:
        self.stopped_at = time.monotonic()
        running = [*self.state.running.values(), *self.state.detached.values()]
        if running:
            logger.info("stopping: waiting up to {}s for {} running handlers", grace, len(running))
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._confirm_finished()

    async def _confirm_finished(self) -> None:
        """Tell Telegram which updates are done, so a restart does not see them again."""
        offset = self.state.next_offset()
        if offset is None or not self.state.finished:
            return
        try:
            # Short: the whole stop must fit in Telegram-friendly 10 s.
            await self.bot(GetUpdates(offset=offset, timeout=0, limit=1), request_timeout=1)
        except Exception as exc:
            logger.warning("could not confirm finished updates on stop: {}", exc)


async def _sleep_or_stop(
    stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None
) -> None:
    waiters = {asyncio.ensure_future(stop.wait())}
    if wake is not None:
        waiters.add(asyncio.ensure_future(wake.wait()))
    _, pending = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in pending:
        waiter.cancel()
