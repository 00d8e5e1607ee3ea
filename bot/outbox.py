"""Sends the messages the bot owes users, from the `outbox` table, under a global rate.

Telegram allows a bot about 30 messages a second in all. With several processes on one
PostgreSQL database, one of them sends: the leader (bot/leadership.py). 30 messages a second is
little work for one process, and one sender keeps the rate with a timer in memory; a budget
shared in the database would cost a round trip (and a contended row) per message. A message
queued by another process reaches the leader by LISTEN/NOTIFY (an insert into the outbox
notifies, storage/notices.py): measured with `python -m bench.shared_latency` on the project's
loaded 2-core machine, a buyer's confirmation queued by a follower went out 10 ms (p50; at most
24 ms) after its commit, against 292 ms (at most 502 ms) when the sender only looks at the table
every IDLE_POLL_SECONDS. That look stays, as the net for a notice lost with a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup
from loguru import logger

from bot.documents import DocumentSender, MissingFile
from bot.telegram.failures import OUTBOX_BACKOFF, delay_after, describe_failure
from storage import OutboxMessage, OutboxRepository, Writer, utcnow

# A message that could not be sent for this long (Telegram down, network gone) is given up.
MAX_AGE = timedelta(days=3)
IDLE_POLL_SECONDS = 0.5
# Messages claimed at a time (a few seconds of sending at OUTBOX_RATE), and how long a claimed
# message is someone's: a sender killed with a batch leaves it for this long, to the next
# sender (the restarted process, or the next leader). A sender gives back what it has not sent
# once it held a batch for half of this, so its claims never run out while it holds them.
CLAIM_BATCH = 10
CLAIM_LEASE = timedelta(seconds=15)


class RateLimiter:
    """Spaces calls evenly so that at most `rate` start in any second."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


class OutboxSender:
    """One background task: sends due messages, the most urgent first, one at a time.

    One at a time keeps the crash window small: a message is marked sent right after Telegram
    accepts it, so a kill can repeat at most the one message in flight, never lose one.
    """

    # What `wake` takes for messages queued at a priority it was not told: as urgent as any.
    ANY_PRIORITY = -1

    def __init__(self, bot: Bot, writer: Writer, *, rate: float = 25.0) -> None:
        self._bot = bot
        self._writer = writer
        self._limiter = RateLimiter(rate)
        self._documents = DocumentSender(bot, writer)
        self._wake = asyncio.Event()
        # The most urgent priority queued since the last claim (while `_wake` is set).
        self._queued = self.ANY_PRIORITY
        self._stopping = False
        self._deadline = float("inf")
        self._task: asyncio.Task[None] | None = None

    def wake(self, priority: int | None = None) -> None:
        """Say that messages were queued (after the transaction that queued them committed),
        the most urgent of them at `priority` (None: not known)."""
        queued = self.ANY_PRIORITY if priority is None else priority
        self._queued = min(self._queued, queued) if self._wake.is_set() else queued
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, within: float) -> None:
        """Send what is due for up to `within` seconds, then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._deadline = time.monotonic() + within
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), within)
        except TimeoutError:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        logger.info("outbox sender stopped")

    async def _run(self) -> None:
        while True:
            try:
                handled = await self.send_due()
            except Exception:  # the sender must outlive any one failure
                logger.opt(exception=True).error("outbox: sending failed, trying again shortly")
                handled = 0
            if self._stopping and (handled == 0 or time.monotonic() >= self._deadline):
                return
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    async def send_due(self, limit: int = CLAIM_BATCH) -> int:
        """Claim the messages due now, the most urgent first (up to `limit`), and try them;
        returns how many were tried. A more urgent message queued meanwhile ends the batch, so
        that a buyer's confirmation waits for the one message in flight, not for the rest of a
        batch of admin notices: the rest are given back and claimed again in the new order. One
        as urgent as the rest goes after them anyway (queued later), so a burst of
        confirmations is sent in batches, one claim for several messages."""
        self._wake.clear()
        now = utcnow()
        claimed = await self._writer.write(
            lambda session: OutboxRepository(session).claim(now, limit, now + CLAIM_LEASE)
        )
        give_back_at = time.monotonic() + CLAIM_LEASE.total_seconds() / 2
        tried = 0
        for message in claimed:
            out_of_time = self._stopping and time.monotonic() >= self._deadline
            held_long = time.monotonic() >= give_back_at
            urgent = not self._stopping and self._goes_before(message)
            if out_of_time or (tried and (held_long or urgent)):
                break
            tried += 1
            await self._limiter.wait()
            await self._send_one(message)
        if tried < len(claimed):
            left = [m.id for m in claimed[tried:] if m.id is not None]
            await self._writer.write(lambda s: OutboxRepository(s).release(left, utcnow()))
        return tried

    def _goes_before(self, message: OutboxMessage) -> bool:
        """Whether a message queued since the claim is more urgent than `message`."""
        return self._wake.is_set() and self._queued < message.priority

    async def _send_one(self, message: OutboxMessage) -> None:
        assert message.id is not None
        markup = (
            InlineKeyboardMarkup.model_validate_json(message.reply_markup)
            if message.reply_markup
            else None
        )
        try:
            if message.document is not None:
                await self._documents.send(message, markup)
            else:
                protect = message.protect_content or None
                await self._bot.send_message(
                    message.chat_id, message.text, reply_markup=markup, protect_content=protect
                )
        except MissingFile as exc:
            # The catalog's file went away after the start: a person must put it back; retrying
            # would not help, and the admins are not told once per buyer.
            logger.error(
                "outbox: message {} to chat {} given up: {}", message.id, message.chat_id, exc
            )
            await self._give_up(message, str(exc))
        except TelegramRetryAfter as exc:
            # The request middleware already waited and retried; come back after the pause.
            await self._retry_later(message, timedelta(seconds=exc.retry_after), str(exc))
        except TelegramForbiddenError as exc:
            logger.warning(
                "outbox: chat {} blocked the bot, message {} dropped: {}",
                message.chat_id,
                message.id,
                exc.message,
            )
            await self._give_up(message, exc.message)
        except TelegramBadRequest as exc:
            logger.error(
                "outbox: Telegram refused message {} to chat {}: {}",
                message.id,
                message.chat_id,
                exc.message,
            )
            await self._give_up(message, exc.message)
        except Exception as exc:
            # 5xx, a 502 HTML page (ClientDecodeError), timeouts, network trouble, or anything
            # unexpected: try again later; the message may still get through.
            error = describe_failure(exc)
            if utcnow() - message.created_at > MAX_AGE:
                logger.error(
                    "outbox: message {} unsent for {}, giving up: {}", message.id, MAX_AGE, error
                )
                await self._give_up(message, error)
            else:
                logger.warning(
                    "outbox: message {} to chat {} failed, will retry: {}",
                    message.id,
                    message.chat_id,
                    error,
                )
                delay = timedelta(seconds=delay_after(OUTBOX_BACKOFF, message.attempts + 1))
                await self._retry_later(message, delay, error)
        else:
            message_id = message.id
            await self._writer.write(lambda s: OutboxRepository(s).mark_sent(message_id))

    async def _retry_later(self, message: OutboxMessage, delay: timedelta, error: str) -> None:
        assert message.id is not None
        message_id, at = message.id, utcnow() + delay
        await self._writer.write(lambda s: OutboxRepository(s).retry_later(message_id, at, error))

    async def _give_up(self, message: OutboxMessage, error: str) -> None:
        assert message.id is not None
        message_id = message.id
        await self._writer.write(lambda s: OutboxRepository(s).give_up(message_id, error))
