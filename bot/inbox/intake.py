"""Where updates come in, whichever way they arrived (the long poll today).

Pre-checkout queries skip the line: Telegram cancels a payment whose query is not answered
within 10 s, so each is handed to its handler as soon as it arrives, and stored in the inbox,
as done, only for the record (in the background: no money has moved yet, so the record need
not be durable before Telegram hears back).

Every other update is stored in the inbox before Telegram is told it arrived; the new ones
(not stored before) are then the runner's to handle.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from loguru import logger

from bot.inbox.background import Bookkeeping, wait_until
from bot.inbox.runner import InboxRunner
from bot.telegram.failures import describe_failure
from storage import InboxRepository, InboxStatus, Writer
from storage.repositories import Row, inbox_row, record_inbox_rows
from storage.update_kinds import chat_of, kind_of, skips_queue

# Pre-checkout queries handled at once; the rest wait as JSON (see _answer_queries).
QUERIES_AT_ONCE = 100


class Intake:
    """Answers pre-checkouts at once, stores the rest and hands the new ones to the runner."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        writer: Writer,
        runner: InboxRunner,
        *,
        queries_at_once: int = QUERIES_AT_ONCE,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.writer = writer
        self.runner = runner
        self.queries_at_once = queries_at_once
        self.bookkeeping = Bookkeeping()
        # Pre-checkout queries waiting for a handler, and those being handled.
        self._queries: deque[dict[str, Any]] = deque()
        self._answering: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> set[asyncio.Task[Any]]:
        """Pre-checkouts being answered, and the records of those answered, not yet written."""
        return {*self._answering, *self.bookkeeping.tasks}

    @property
    def waiting_queries(self) -> int:
        return len(self._queries) + len(self._answering)

    def take(self, updates: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """Hand the pre-checkouts among `updates` to their handler now; return the others, by
        update_id, for the caller to `store`."""
        queries, others = [], {}
        for raw in updates:
            if skips_queue(raw):
                queries.append(raw)
            else:
                others[_update_id(raw)] = raw
        if queries:
            self._queries.extend(queries)
            self._answer_queries()
            # Only the record of the query: it need not be stored before Telegram hears back.
            self.bookkeeping.run(self._record({_update_id(raw): raw for raw in queries}))
        return others

    async def _record(self, queries: dict[int, dict[str, Any]]) -> None:
        """Store the records of answered pre-checkouts (by update_id) in the writer's next
        transaction, in one statement with those of the other requests of the moment: webhook
        mode takes one query per request, and 2,000 writes of one row each kept the writer
        from the handlers' own writes. Should that statement fail, these are stored as any
        batch is (one by one; one that cannot be stored is parked)."""
        rows = [_inbox_row(raw) for raw in queries.values()]
        try:
            await self.writer.write_many(record_inbox_rows, rows)
        except Exception:
            await self._add_rows(queries)

    async def store(self, batch: dict[int, dict[str, Any]]) -> set[int]:
        """Store `batch` (by update_id) in the inbox and hand its new updates to the runner;
        returns the update_ids now in the inbox, which Telegram may be told arrived. Those left
        out (all, when the inbox cannot be written) are not handed on: Telegram still holds
        them."""
        new, kept = await self._add_rows(batch)
        if new:
            fresh = sorted((row_id, batch[update_id]) for update_id, row_id in new.items())
            self.runner.stored(fresh, through=fresh[-1][0])
        return kept

    async def _add_rows(self, batch: dict[int, dict[str, Any]]) -> tuple[dict[int, int], set[int]]:
        """Store `batch` in one write; returns the row ids of the updates not stored before (by
        update_id), and the update_ids now in the inbox. If the write fails, the updates are
        stored one at a time, so that one that cannot be stored (a lone surrogate in its text:
        no database takes it) does not hold up the others: that one is parked, with its JSON
        escaped to plain ASCII."""
        rows = [_inbox_row(raw) for raw in batch.values()]
        try:
            return await self._add(rows), set(batch)
        except Exception as exc:
            if len(rows) == 1:
                return {}, set(batch) if await self._park(rows[0], exc) else set()
            logger.warning(
                "could not store {} updates in the inbox at once ({}); storing them one by one",
                len(rows),
                describe_failure(exc),
            )
        new: dict[int, int] = {}
        kept: set[int] = set()
        for update_id, row in zip(batch, rows, strict=True):
            try:
                new.update(await self._add([row]))
            except Exception as exc:
                if not await self._park(row, exc):
                    break  # the inbox cannot be written at all: Telegram keeps the rest
            kept.add(update_id)
        return new, kept

    async def _park(self, row: Row, failure: Exception) -> bool:
        """An update that could not be stored: store an ASCII-safe copy of it instead, parked
        as failed for a person to look at; False if even that cannot be stored."""
        safe = _inbox_row(json.loads(row["raw"]), failure)
        try:
            await self._add([safe])
        except Exception as exc:
            logger.error(
                "could not store update {} in the inbox ({}); Telegram keeps it",
                row["update_id"],
                describe_failure(exc),
            )
            return False
        logger.error(
            "update {} could not be stored as sent ({}); parked in the inbox as failed, with "
            "its JSON escaped",
            row["update_id"],
            type(failure).__name__,
        )
        return True

    async def _add(self, rows: list[Row]) -> dict[int, int]:
        return await self.writer.write(lambda session: InboxRepository(session).add(rows))

    async def drain(self, grace: float) -> None:
        """The process is stopping: start no more handlers, and give those running, and the
        pre-checkouts already taken (Telegram will not send them again), up to `grace` seconds
        to finish. Handlers cut off then leave their rows pending for the next start."""
        self.runner.stop_taking()

        def running() -> set[asyncio.Task[Any]]:
            return self.running | self.runner.running

        if running() or self._queries:
            logger.info(
                "stopping: waiting up to {}s for {} running handlers and {} pre-checkouts",
                grace,
                len(self.runner.running),
                self.waiting_queries,
            )
        await wait_until(time.monotonic() + grace, running)
        await self.runner.release()

    def _answer_queries(self) -> None:
        """Hand waiting pre-checkouts to their handler, at most `queries_at_once` at a time: the
        answers leave over a bounded number of connections anyway, and a query waiting here
        costs its JSON, not a running handler."""
        while self._queries and len(self._answering) < self.queries_at_once:
            task = asyncio.create_task(self._answer(self._queries.popleft()))
            self._answering.add(task)
            task.add_done_callback(self._answered)

    def _answered(self, task: asyncio.Task[None]) -> None:
        self._answering.discard(task)
        if not task.cancelled():  # cancelled: out of time at a stop, start no more
            self._answer_queries()

    async def _answer(self, raw: dict[str, Any]) -> None:
        try:
            update = Update.model_validate(raw, context={"bot": self.bot})
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:
            logger.opt(exception=True).error("update {} failed", raw.get("update_id"))


def _update_id(raw: dict[str, Any]) -> int:
    return int(raw["update_id"])


def _inbox_row(raw: dict[str, Any], failure: Exception | None = None) -> Row:
    """The inbox row of an update. With the `failure` that kept it from being stored as sent:
    its JSON escaped to ASCII (a lone surrogate becomes \\ud800), which every database
    stores, and parked as failed (a pre-checkout's row is only the record: done either way)."""
    # A pre-checkout is answered at once; its row is only the record.
    status = InboxStatus.DONE if skips_queue(raw) else InboxStatus.PENDING
    row = inbox_row(
        _update_id(raw),
        kind_of(raw),
        chat_of(raw),
        json.dumps(raw, ensure_ascii=failure is not None),
        status=status,
    )
    if failure is not None:
        if status == InboxStatus.PENDING:
            row.update(status=InboxStatus.FAILED, finished_at=row["received_at"])
        row["last_error"] = f"could not be stored as sent ({type(failure).__name__})"
    return row
