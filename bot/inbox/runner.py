"""Running updates from the inbox, however they got there.

Handlers run at most `concurrency` at once: the updates of one chat in order (its /paysupport
before its next message), different chats side by side. A handled update is marked done; one
that fails is tried again after each of `retry_delays` (its chat waits), then parked as failed
with its JSON, and the chat goes on. At start, the rows the last run left unfinished run first.

At most `memory_limit` updates are held in memory; beyond it they wait in the inbox table and
are read back, oldest first, as the backlog shrinks, so a flood costs disk, not memory.

Several processes on one PostgreSQL database (`claims`): the runner holds only the rows it
claimed (see bot/inbox/claims.py), whichever process stored them; "read back as the backlog
shrinks" is then "claim what fits", and what this process stored is claimed like the rest.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.inbox.background import Bookkeeping
from bot.inbox.claims import InboxClaims
from bot.telegram.failures import HANDLER_RETRY_DELAYS, describe_failure
from storage import InboxRepository, SessionFactory, Writer, mark_inbox_done, mark_inbox_ignored
from storage.claims import ClaimedRow
from storage.update_kinds import chat_of

MEMORY_LIMIT = 10_000


class Ignored(Enum):
    """What a middleware returns (through `Dispatcher.feed_update`) for an update it ignored
    on purpose, such as the flood limit: its row keeps only that it was handled, not its
    content."""

    UPDATE = "ignored"


UPDATE_IGNORED = Ignored.UPDATE


@dataclass
class _Pending:
    row_id: int  # the inbox row's: update_ids may repeat (see `InboxUpdate`)
    raw: dict[str, Any]
    attempts: int = 0

    @property
    def update_id(self) -> int:
        return int(self.raw["update_id"])

    @property
    def chat(self) -> Hashable:
        chat_id = chat_of(self.raw)
        return ("row", self.row_id) if chat_id is None else chat_id


class InboxRunner:
    """Hands stored updates to the dispatcher; see the module docstring."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        writer: Writer,
        readers: SessionFactory,
        *,
        concurrency: int = 200,
        retry_delays: tuple[float, ...] = HANDLER_RETRY_DELAYS,
        memory_limit: int = MEMORY_LIMIT,
        claims: InboxClaims | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.writer = writer
        self.readers = readers
        self.concurrency = concurrency
        self.retry_delays = retry_delays
        # Sharing the inbox, a process holds what it can run soon; the rest is the others'.
        self.memory_limit = memory_limit if claims is None else min(memory_limit, 2 * concurrency)
        self.claims = claims
        self.bookkeeping = Bookkeeping()
        # Each chat's updates in order; the chats ready to run their next.
        self._chats: dict[Hashable, deque[_Pending]] = {}
        self._ready: deque[Hashable] = deque()
        self._running: dict[int, asyncio.Task[None]] = {}
        self._retry_timers: dict[Hashable, asyncio.TimerHandle] = {}
        self._held = 0
        self._held_rows: set[int] = set()  # a row claimed again after its lease ran out
        # Unfinished rows from this row id on are in the table only (None: all are held).
        # At start the table may hold any: `start` reads them before anything new arrives.
        # With claims, none are read but those claimed.
        self._spilled_from: int | None = 0 if claims is None else None
        self._stored_through: int | None = None
        self._refilling: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Take up the updates the last run stored and did not finish; with `claims`, start
        claiming (once, however often it is called)."""
        if self.claims is not None:
            self.claims.start(lambda: self.memory_limit - self._held, self._take_claimed)
            return
        await self._refill()

    def stored(self, new: Sequence[tuple[int, dict[str, Any]]], *, through: int) -> None:
        """Updates just stored in the inbox (the new ones, by row id, in order), and the highest
        row id stored so far: they run when their turn comes."""
        if self.claims is not None:
            self.claims.wake()  # claimed like the other processes' rows
            return
        self._stored_through = through
        for row_id, raw in new:
            self._enqueue(_Pending(row_id, raw))

    @property
    def running(self) -> set[asyncio.Task[Any]]:
        """The handlers running now, and the bookkeeping writes not yet done."""
        return {*self._running.values(), *self.bookkeeping.tasks}

    def _take_claimed(self, rows: list[ClaimedRow]) -> None:
        for row in rows:
            if row.id not in self._held_rows:
                self._enqueue(_Pending(row.id, json.loads(row.raw), row.attempts), from_table=True)

    def _enqueue(self, item: _Pending, *, from_table: bool = False) -> None:
        if not from_table and (self._spilled_from is not None or self._held >= self.memory_limit):
            if self._spilled_from is None:
                self._spilled_from = item.row_id
            return
        queue = self._chats.get(item.chat)
        if queue is None:
            queue = self._chats[item.chat] = deque()
            self._ready.append(item.chat)
        queue.append(item)
        self._held += 1
        self._held_rows.add(item.row_id)
        self._pump()

    def _pump(self) -> None:
        while self._ready and len(self._running) < self.concurrency and not self._stopping:
            chat = self._ready.popleft()
            item = self._chats[chat][0]
            task = asyncio.create_task(self._handle(chat, item), name=f"update-{item.update_id}")
            self._running[item.row_id] = task

    async def _handle(self, chat: Hashable, item: _Pending) -> None:
        try:
            update = Update.model_validate(item.raw, context={"bot": self.bot})
            outcome = await self.dispatcher.feed_update(self.bot, update)
        except asyncio.CancelledError:
            raise  # stopped: the row stays pending for the next start
        except Exception as exc:
            self._on_failure(chat, item, exc)
        else:
            mark = mark_inbox_ignored if outcome is UPDATE_IGNORED else mark_inbox_done
            self.bookkeeping.run(self.writer.write_many(mark, item.row_id))
            self._next_of(chat)
        finally:
            self._running.pop(item.row_id, None)
            self._pump()

    def _on_failure(self, chat: Hashable, item: _Pending, exc: Exception) -> None:
        item.attempts += 1
        park = item.attempts > len(self.retry_delays)
        error = describe_failure(exc)[:500]

        async def record(session: AsyncSession) -> None:
            await InboxRepository(session).record_failure(
                item.row_id, item.attempts, error, park=park
            )

        self.bookkeeping.run(self.writer.write(record))
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
        self._held_rows.discard(queue.popleft().row_id)
        self._held -= 1
        if queue:
            self._ready.append(chat)
        else:
            del self._chats[chat]
        if self.claims is not None and self._held <= self.memory_limit // 2:
            self.claims.room_again()
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
                    assert row.id is not None
                    item = _Pending(row.id, json.loads(row.raw), row.attempts)
                    self._enqueue(item, from_table=True)
                if rows:
                    self._spilled_from = (rows[-1].id or 0) + 1
                if len(rows) < room and through == self._stored_through:
                    self._spilled_from = None  # everything stored is held now
        except Exception:
            logger.opt(exception=True).error("could not read the inbox; trying again later")
        finally:
            self._refilling = None

    async def release(self) -> None:
        """The process stopped handling: with `claims`, let the other processes take the rows
        it still holds (those cut off, or never started) now rather than after the lease."""
        if self.claims is not None:
            await self.claims.stop()

    def stop_taking(self) -> None:
        """Start no more handlers: the process is stopping. Those running are left to finish
        (see `running`); the rows of those cut off stay pending for the next start."""
        self._stopping = True
        if self.claims is not None:
            self.claims.claiming = False
        for timer in self._retry_timers.values():
            timer.cancel()
        if self._refilling is not None:
            self._refilling.cancel()
