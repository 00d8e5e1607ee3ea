"""Long polling through a durable inbox.

Each batch getUpdates returns is written to the `inbox` table in one transaction; only then is
it confirmed to Telegram, by the next getUpdates asking for the updates after it. So every
update is fetched and parsed once, a kill -9 loses nothing (Telegram or the inbox still has
each update), and the poller always waits in a long poll.

Handlers run from the inbox, at most `concurrency` at once: the updates of one chat in order
(its /paysupport before its next message), different chats side by side. A handled update is
marked done; one that fails is tried again after each of `retry_delays` (its chat waits), then
parked as failed with its JSON, and the chat goes on. At start, the unfinished rows run first.

Pre-checkout queries skip the line: Telegram cancels a payment whose query is not answered
within 10 s, so each is handed to its handler as soon as it is fetched, and stored in the
inbox, as done, only for the record (in the background: no money has moved yet, so the record
need not be durable before Telegram hears back).

While the inbox cannot be written (the database is locked or gone), the fetched updates stay
unconfirmed and are asked for again at a slow pace; pre-checkouts among them are still answered.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from loguru import logger

from storage import InboxRepository, InboxStatus, SessionFactory, Writer, mark_inbox_done
from storage.repositories import Row, inbox_row

PRE_CHECKOUT = "pre_checkout_query"
# A failing update is handed to its handler again after these pauses (its chat waits), then
# parked in the inbox as failed, with its JSON, for a person to look at.
RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
# Pre-checkout queries handled at once; the rest wait as JSON (see _answer_queries).
QUERIES_AT_ONCE = 100
# The most updates held in memory; beyond it they wait in the inbox table and are read back as
# the backlog shrinks, so a flood costs disk, not memory.
MEMORY_LIMIT = 10_000
# Storing a batch takes milliseconds; when it takes longer than this, new updates are fetched
# meanwhile (without confirming the batch), so that pre-checkouts are still answered in time.
STORE_PATIENCE_SECONDS = 0.5
# After the inbox could not be written, try again after this long.
STORE_RETRY_SECONDS = 1.0
# getUpdates failures: back off from 1 s up to this; another instance or a webhook (409): longer.
MAX_FETCH_BACKOFF = 30.0
CONFLICT_BACKOFF = (5.0, 10.0, 30.0, 60.0)


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, answered as plain JSON objects: each is stored as it came and parsed once,
    when its handler runs."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def update_kind(raw: dict[str, Any]) -> str:
    """The one optional field that says what an Update is ("message", ...)."""
    return next((key for key in raw if key != "update_id"), "unknown")


def chat_of(raw: dict[str, Any]) -> int | None:
    """The chat whose updates must be handled in order; None when there is none."""
    content = raw.get(update_kind(raw))
    if not isinstance(content, dict):
        return None
    for holder in (content, content.get("message")):
        if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
            return int(holder["chat"]["id"])
    for field in ("from", "user"):
        if isinstance(content.get(field), dict):
            return int(content[field]["id"])
    return None


@dataclass
class _Pending:
    update_id: int
    raw: dict[str, Any]
    attempts: int = 0

    @property
    def chat(self) -> Hashable:
        chat_id = chat_of(self.raw)
        return ("update", self.update_id) if chat_id is None else chat_id


class InboxPoller:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        writer: Writer,
        readers: SessionFactory,
        *,
        polling_timeout: int = 25,
        allowed_updates: list[str] | None = None,
        concurrency: int = 200,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        memory_limit: int = MEMORY_LIMIT,
        conflict_backoff: tuple[float, ...] = CONFLICT_BACKOFF,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.writer = writer
        self.readers = readers
        self.polling_timeout = polling_timeout
        self.allowed_updates = allowed_updates
        self.concurrency = concurrency
        self.retry_delays = retry_delays
        self.memory_limit = memory_limit
        self.conflict_backoff = conflict_backoff
        self.stopped_at: float | None = None
        # Telegram's side: the next offset to ask for, and the one it has been told.
        self._offset: int | None = None
        self._told_offset: int | None = None
        # Fetched, not yet in the inbox table: Telegram still holds them.
        self._unstored: dict[int, dict[str, Any]] = {}
        # Pre-checkout queries fetched and waiting for a handler, and how many are handled now.
        self._queries: deque[dict[str, Any]] = deque()
        self._answering = 0
        self._storing: asyncio.Future[bool] | None = None
        # The inbox in memory: each chat's updates in order; chats ready to run their next.
        self._chats: dict[Hashable, deque[_Pending]] = {}
        self._ready: deque[Hashable] = deque()
        self._running: dict[int, asyncio.Task[None]] = {}
        self._retry_timers: dict[Hashable, asyncio.TimerHandle] = {}
        self._held = 0
        # Unfinished rows from this update_id on are in the table only (None: all are held).
        # At start the table may hold any: they are read before anything is fetched.
        self._spilled_from: int | None = 0
        self._stored_through: int | None = None
        self._refilling: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._stopping = False

    async def run(self, stop: asyncio.Event, grace: float) -> None:
        """Poll until `stop` is set; then let running handlers finish for up to `grace` seconds."""
        await self._refill()
        failures = 0
        while not stop.is_set():
            # Until a batch is stored (slow, or failed), Telegram keeps it; fetching goes on
            # without waiting, so that a pre-checkout behind it is still answered in time.
            if self._unstored:
                await self._store(stop)
            try:
                batch = await self._fetch(stop)
            except TelegramConflictError as exc:
                delay = self.conflict_backoff[min(failures, len(self.conflict_backoff) - 1)]
                failures += 1
                logger.error("{} retrying in {:g}s", _conflict_advice(exc.message), delay)
                await _sleep_or_stop(stop, delay)
                continue
            except Exception as exc:
                failures += 1
                delay = min(2.0 ** (failures - 1), MAX_FETCH_BACKOFF)
                logger.error("getUpdates failed ({!r}); retrying in {:.0f}s", exc, delay)
                await _sleep_or_stop(stop, delay)
                continue
            failures = 0
            if batch is None:  # stopped while waiting
                break
            self._take(batch)
        if self._storing is not None:
            await asyncio.gather(self._storing, return_exceptions=True)
        await self._finish(grace)

    # -- Telegram's side ----------------------------------------------------------------------

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
        """Hand the batch's pre-checkouts to their handler now; the rest waits to be stored."""
        fresh = [
            raw
            for raw in batch
            # Not asked again while it was being stored, nor taken before (or by the last run).
            if int(raw["update_id"]) >= (self._offset or 0)
            and int(raw["update_id"]) not in self._unstored
        ]
        if not fresh:
            return
        queries = [raw for raw in fresh if PRE_CHECKOUT in raw]
        self._queries.extend(queries)
        self._answer_queries()
        if queries:
            # Only the record of the query: it need not be stored before Telegram hears back.
            records = [_inbox_row(raw) for raw in queries]
            self._in_background(
                self.writer.write(lambda session: InboxRepository(session).add(records))
            )
        for raw in fresh:
            if PRE_CHECKOUT not in raw:
                self._unstored[int(raw["update_id"])] = raw
        self._offset = max(int(raw["update_id"]) for raw in fresh) + 1

    async def _store(self, stop: asyncio.Event) -> bool:
        """Store the fetched updates and queue them; False while that is slow or failed."""
        if self._storing is None:
            self._storing = asyncio.ensure_future(self._store_batch(dict(self._unstored)))
        stopped = asyncio.ensure_future(stop.wait())
        waiters: set[asyncio.Future[Any]] = {self._storing, stopped}
        await asyncio.wait(
            waiters, timeout=STORE_PATIENCE_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        stopped.cancel()
        if not self._storing.done():
            return False
        stored, self._storing = self._storing.result(), None
        if not stored:
            await _sleep_or_stop(stop, STORE_RETRY_SECONDS)
        return stored

    async def _store_batch(self, batch: dict[int, dict[str, Any]]) -> bool:
        rows = [_inbox_row(raw) for raw in batch.values()]
        try:
            new = await self.writer.write(lambda session: InboxRepository(session).add(rows))
        except Exception as exc:
            logger.error(
                "could not store {} updates in the inbox ({!r}); Telegram keeps them",
                len(rows),
                exc,
            )
            return False
        self._stored_through = max(batch)
        for update_id in sorted(batch):
            raw = self._unstored.pop(update_id)
            if update_id in new:
                self._enqueue(_Pending(update_id, raw))
        return True

    def _answer_queries(self) -> None:
        """Hand waiting pre-checkouts to their handler, at most QUERIES_AT_ONCE at a time: the
        answers leave over a bounded number of connections anyway, and a query waiting here
        costs its JSON, not a running handler."""
        while self._queries and self._answering < QUERIES_AT_ONCE:
            self._answering += 1
            self._in_background(self._handle_now(self._queries.popleft()))

    async def _handle_now(self, raw: dict[str, Any]) -> None:
        try:
            update = Update.model_validate(raw, context={"bot": self.bot})
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:
            logger.opt(exception=True).error("update {} failed", raw.get("update_id"))
        finally:
            self._answering -= 1
            self._answer_queries()

    # -- the inbox in memory --------------------------------------------------------------------

    def _enqueue(self, item: _Pending, *, from_table: bool = False) -> None:
        if not from_table and (self._spilled_from is not None or self._held >= self.memory_limit):
            if self._spilled_from is None:
                self._spilled_from = item.update_id
            return
        queue = self._chats.get(item.chat)
        if queue is None:
            queue = self._chats[item.chat] = deque()
            self._ready.append(item.chat)
        queue.append(item)
        self._held += 1
        self._pump()

    def _pump(self) -> None:
        while self._ready and len(self._running) < self.concurrency and not self._stopping:
            chat = self._ready.popleft()
            item = self._chats[chat][0]
            task = asyncio.create_task(self._handle(chat, item), name=f"update-{item.update_id}")
            self._running[item.update_id] = task

    async def _handle(self, chat: Hashable, item: _Pending) -> None:
        try:
            update = Update.model_validate(item.raw, context={"bot": self.bot})
            await self.dispatcher.feed_update(self.bot, update)
        except asyncio.CancelledError:
            raise  # stopped: the row stays pending for the next start
        except Exception as exc:
            self._on_failure(chat, item, exc)
        else:
            self._in_background(self.writer.write_many(mark_inbox_done, item.update_id))
            self._next_of(chat)
        finally:
            self._running.pop(item.update_id, None)
            self._pump()

    def _on_failure(self, chat: Hashable, item: _Pending, exc: Exception) -> None:
        item.attempts += 1
        park = item.attempts > len(self.retry_delays)
        error = repr(exc)[:500]

        async def record(session: Any) -> None:
            await InboxRepository(session).record_failure(
                item.update_id, item.attempts, error, park=park
            )

        self._in_background(self.writer.write(record))
        if park:
            logger.opt(exception=exc).error(
                "update {} failed {} times; parked in the inbox as failed: {}",
                item.update_id,
                item.attempts,
                json.dumps(item.raw, ensure_ascii=False),
            )
            self._next_of(chat)
            return
        delay = self.retry_delays[item.attempts - 1]
        logger.opt(exception=exc).warning(
            "update {} failed (attempt {}); trying again in {}s",
            item.update_id,
            item.attempts,
            delay,
        )
        loop = asyncio.get_running_loop()
        self._retry_timers[chat] = loop.call_later(delay, self._retry, chat)

    def _retry(self, chat: Hashable) -> None:
        self._retry_timers.pop(chat, None)
        self._ready.append(chat)
        self._pump()

    def _next_of(self, chat: Hashable) -> None:
        """The chat's head is finished (done or parked): on to its next update."""
        queue = self._chats[chat]
        queue.popleft()
        self._held -= 1
        if queue:
            self._ready.append(chat)
        else:
            del self._chats[chat]
        if (
            self._spilled_from is not None
            and self._held <= self.memory_limit // 2
            and self._refilling is None
            and not self._stopping
        ):
            self._refilling = asyncio.create_task(self._refill())

    async def _refill(self) -> None:
        """Read unfinished updates back from the table, oldest first, while there is room."""
        try:
            while self._spilled_from is not None and self._held < self.memory_limit:
                through = self._stored_through
                room = self.memory_limit - self._held
                async with self.readers() as session:
                    rows = await InboxRepository(session).unfinished(
                        from_id=self._spilled_from, through_id=through, limit=room
                    )
                for row in rows:
                    item = _Pending(row.update_id, json.loads(row.raw), row.attempts)
                    self._enqueue(item, from_table=True)
                if rows:
                    self._spilled_from = rows[-1].update_id + 1
                if len(rows) < room and through == self._stored_through:
                    self._spilled_from = None  # everything stored is held now
        except Exception:
            logger.opt(exception=True).error("could not read the inbox; trying again later")
        finally:
            self._refilling = None

    def _in_background(self, work: Awaitable[Any]) -> None:
        """Run `work` beside the handlers; a failure is logged (the row stays pending, so the
        update runs again at the next start, and handlers are idempotent)."""

        async def run() -> None:
            try:
                await work
            except Exception as exc:
                logger.warning("inbox bookkeeping failed: {!r}", exc)

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- stopping -----------------------------------------------------------------------------

    async def _finish(self, grace: float) -> None:
        self._stopping = True
        self.stopped_at = time.monotonic()
        for timer in self._retry_timers.values():
            timer.cancel()
        deadline = time.monotonic() + grace
        if self._running or self._background or self._queries:
            logger.info(
                "stopping: waiting up to {}s for {} running handlers and {} pre-checkouts",
                grace,
                len(self._running),
                self._answering + len(self._queries),
            )
        # Pre-checkouts still waiting are answered too: Telegram will not send them again.
        while (running := {*self._running.values(), *self._background}) and (
            remaining := deadline - time.monotonic()
        ) > 0:
            await asyncio.wait(running, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if self._refilling is not None:
            self._refilling.cancel()
        await self._confirm_stored()

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
            logger.warning("could not confirm the stored updates on stop: {!r}", exc)


def _inbox_row(raw: dict[str, Any]) -> Row:
    kind = update_kind(raw)
    return inbox_row(
        int(raw["update_id"]),
        kind,
        chat_of(raw),
        json.dumps(raw, ensure_ascii=False),
        # A pre-checkout is answered at once; its row is only the record.
        status=InboxStatus.DONE if kind == PRE_CHECKOUT else InboxStatus.PENDING,
    )


def _conflict_advice(description: str) -> str:
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


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    waiter = asyncio.ensure_future(stop.wait())
    _, pending = await asyncio.wait({waiter}, timeout=seconds)
    for task in pending:
        task.cancel()
