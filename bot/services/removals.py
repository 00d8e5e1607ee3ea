"""The worker that takes members out of the private chats when their key ended.

Each run first notices the keys of the managed chats that expired or were revoked since the
last run (read through the indexes on `expires_at` and `revoked_at`, from a mark kept in
`sync_state`) and records the removals they owe, an expiry's due ACCESS_GRACE later. Then it
does the removals that are due: each is one unbanChatMember without only_if_banned, which takes
the member out and lets them join again later, and is marked done once Telegram said so. A kill
between the call and the mark only repeats the call, which Telegram answers the same way.

Telegram's answers: a user already gone is success; the owner or an administrator is never
removed (the removal is dropped); a chat that is gone or that the bot was removed from parks its
removals and tells the admins once; anything else that may pass (429, 5xx, the network, missing
rights) is tried again later.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.utils.backoff import BackoffConfig
from loguru import logger
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog
from bot.lifecycle import Every
from bot.outcomes import ChatProblem, ChatProblemKind, ChatSetup
from bot.services.access import ACCESS_CHANGED, EndedKey, RemovalReason, owe_removals
from bot.services.chat_setup import ManagedChats
from bot.services.languages import UserLanguages
from bot.telegram.failures import CALL_ERRORS, delay_after, describe_failure
from entitlements import held_keys
from storage import (
    AccessRemoval,
    Entitlement,
    OutboxPriority,
    OutboxRepository,
    SessionFactory,
    SyncStateRepository,
    Writer,
    utcnow,
)
from storage.repositories import outbox_row
from storage.repositories.access import AccessRepository

# sync_state: up to when (Unix seconds) the ended keys have been read.
ENDED_MARK = "access_ended_until"
# Read again on each run: a transaction that ended a key may commit a little after its time.
OVERLAP = timedelta(minutes=5)
INTERVAL_SECONDS = 60.0  # at the latest; the worker wakes sooner when something falls due
BATCH = 100
REMOVAL_BACKOFF = BackoffConfig(min_delay=5.0, max_delay=3600.0, factor=2.0, jitter=0.0)
# Telegram's answers to unbanChatMember.
NEVER_REMOVED = ("administrator", "owner", "creator", "USER_ADMIN_INVALID")
ALREADY_GONE = ("user not found", "PARTICIPANT_ID_INVALID", "USER_NOT_PARTICIPANT")
CHAT_GONE = ("chat not found", "CHANNEL_PRIVATE", "PEER_ID_INVALID")
MISSING_RIGHTS = ("not enough rights", "CHAT_ADMIN_REQUIRED")


class Removals:
    """Notices ended keys and removes members; runs as a periodic job (`job`)."""

    def __init__(
        self,
        bot: Bot,
        writer: Writer,
        readers: SessionFactory,
        catalog: Catalog,
        chats: ManagedChats,
        *,
        grace: timedelta,
        languages: UserLanguages,
        admin_ids: frozenset[int] | set[int] = frozenset(),
    ) -> None:
        self.bot = bot
        self.writer = writer
        self.readers = readers
        self.catalog = catalog
        self.chats = chats
        self.grace = grace
        self.admin_ids = sorted(admin_ids)
        self.languages = languages  # each admin's notice in theirs
        self.keys = {key for key, content in catalog.keys.items() if content.chats}
        self.job = Every(INTERVAL_SECONDS, self.run, name="access removals")
        self._timer: asyncio.TimerHandle | None = None
        self.lost: dict[int, str] = {}  # chats gone (or the bot removed), with Telegram's words

    def on_commit(self, changed: set[str]) -> None:
        """The writer's listener: a transaction recorded removals, so run now."""
        if ACCESS_CHANGED in changed:
            self.job.wake()

    async def run(self) -> None:
        if not self.keys:
            return
        await self.notice_ended()
        while await self.remove_due() == BATCH:
            pass
        await self._wake_when_due()

    async def notice_ended(self) -> int:
        """Record the removals owed for keys that ended since the last run; how many."""

        async def work(session: AsyncSession) -> int:
            now = utcnow()
            marks = SyncStateRepository(session)
            repository = AccessRepository(session)
            mark = await marks.get(ENDED_MARK)
            since = datetime.fromtimestamp(mark, UTC) - OVERLAP if mark else None
            since = since or await repository.first_admitted_at()
            added = 0
            if since is not None:
                rows = await repository.ended_between(self.keys, since, now)
                ended = [self._ended(row, now) for row in rows]
                added = await owe_removals(session, self.catalog, ended, now)
            await marks.set(ENDED_MARK, int(now.timestamp()))
            return added

        added = await self.writer.write(work)
        if added:
            logger.info("{} member removal(s) owed for keys that ended", added)
        return added

    def _ended(self, row: Entitlement, now: datetime) -> EndedKey:
        revoked = row.revoked_at
        if revoked is not None and (row.expires_at is None or revoked < row.expires_at):
            return EndedKey(row.user_id, row.key, now, RemovalReason.REVOKED)
        assert row.expires_at is not None
        return EndedKey(row.user_id, row.key, row.expires_at + self.grace, RemovalReason.EXPIRED)

    async def remove_due(self) -> int:
        """Do the removals due now (at most BATCH); returns how many were looked at."""
        now = utcnow()
        async with self.readers() as session:
            due = await AccessRepository(session).due(now, BATCH)
            held = await held_keys(session, {r.user_id for r in due}, self.keys, now=now)
        for removal in due:
            if self.catalog.keys_for_chat(removal.chat_id) & held.get(removal.user_id, set()):
                await self._settle(removal, dropped_at=now)  # holds a key for the chat again
            elif removal.chat_id in self.lost:  # Telegram said so already: not asked again
                await self._chat_lost(removal, self.lost[removal.chat_id])
            else:
                await self._remove(removal)
        return len(due)

    async def _remove(self, removal: AccessRemoval) -> None:
        try:
            await self.bot.unban_chat_member(removal.chat_id, removal.user_id)
        except TelegramForbiddenError as exc:  # the bot was removed from the chat
            await self._chat_lost(removal, describe_failure(exc))
        except TelegramBadRequest as exc:
            await self._refused(removal, exc)
        except TelegramRetryAfter as exc:
            await self._retry(removal, describe_failure(exc), exc.retry_after)
        except CALL_ERRORS as exc:  # 5xx, the network, a timeout: Telegram may take it later
            await self._retry(removal, describe_failure(exc))
        else:
            await self._done(removal)

    async def _refused(self, removal: AccessRemoval, exc: TelegramBadRequest) -> None:
        error = describe_failure(exc)
        if _says(exc, ALREADY_GONE):
            await self._done(removal, error)
        elif _says(exc, CHAT_GONE):
            await self._chat_lost(removal, error)
        elif _says(exc, MISSING_RIGHTS):
            await self._retry(removal, error)
        elif _says(exc, NEVER_REMOVED):
            logger.info(
                "not removing user {} from chat {}: {}", removal.user_id, removal.chat_id, error
            )
            await self._settle(removal, dropped_at=utcnow(), last_error=error)
        else:
            logger.warning("removal {} parked: {}", removal.id, error)
            await self._settle(removal, parked_at=utcnow(), last_error=error)

    async def _done(self, removal: AccessRemoval, note: str | None = None) -> None:
        async def work(session: AsyncSession) -> None:
            now = utcnow()
            repository = AccessRepository(session)
            await repository.settle(_id(removal), done_at=now, last_error=note)
            await repository.mark_removed(removal.chat_id, removal.user_id, now)

        await self.writer.write(work)
        logger.info(
            "removed user {} from chat {} ({})", removal.user_id, removal.chat_id, removal.reason
        )

    async def _retry(self, removal: AccessRemoval, error: str, after: float | None = None) -> None:
        attempts = removal.attempts + 1
        delay = after if after is not None else delay_after(REMOVAL_BACKOFF, attempts)
        due_at = utcnow() + timedelta(seconds=delay)
        logger.warning(
            "removal of user {} from chat {} failed ({}), again in {:.0f}s",
            removal.user_id,
            removal.chat_id,
            error,
            delay,
        )
        await self._settle(removal, attempts=attempts, due_at=due_at, last_error=error)

    async def _chat_lost(self, removal: AccessRemoval, error: str) -> None:
        """The chat is gone, or the bot is no longer in it: park its removals, stop selling
        access to it, and tell the admins once."""
        chat_id = removal.chat_id
        title = self.chats.title(chat_id)
        lost = ChatProblem(ChatProblemKind.LOST, detail=error)
        self.chats.setups[chat_id] = ChatSetup(chat_id, title, (lost,))
        self.lost[chat_id] = error
        notice = partial(
            texts.admin_chat_lost, chat_id, title if title != str(chat_id) else None, error
        )

        async def work(session: AsyncSession) -> int:
            now = utcnow()
            parked = await AccessRepository(session).park_chat(chat_id, now, error)
            admins = await self.languages.of_many(session, self.admin_ids)
            await OutboxRepository(session).queue_many(
                [
                    outbox_row(
                        admin,
                        admins.render(admin, notice),
                        priority=OutboxPriority.ADMIN_NOTICE,
                        dedupe_key=f"access-chat-lost:{chat_id}:{admin}",
                        now=now,
                    )
                    for admin in self.admin_ids
                ]
            )
            return parked

        parked = await self.writer.write(work)
        logger.error("chat {}: {}; {} removal(s) parked", chat_id, error, parked)

    async def _settle(self, removal: AccessRemoval, **values: object) -> None:
        await self.writer.write(
            lambda session: AccessRepository(session).settle(_id(removal), **values)
        )

    async def _wake_when_due(self) -> None:
        """Run again when the next removal falls due or the next key expires, if that comes
        before the interval is over."""
        now = utcnow()
        async with self.readers() as session:
            next_due = await AccessRepository(session).next_due_at()
            statement = select(func.min(Entitlement.expires_at)).where(
                col(Entitlement.expires_at) > now, col(Entitlement.key).in_(self.keys)
            )
            next_end = (await session.exec(statement)).one()
        times = [t for t in (next_due, next_end) if t is not None]
        if not times:
            return
        delay = max(0.0, (min(times) - utcnow()).total_seconds()) + 0.05
        if delay < INTERVAL_SECONDS:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_later(delay, self.job.wake)


def _says(exc: TelegramBadRequest, phrases: tuple[str, ...]) -> bool:
    message = exc.message.lower()
    return any(phrase.lower() in message for phrase in phrases)


def _id(removal: AccessRemoval) -> int:
    assert removal.id is not None
    return removal.id
