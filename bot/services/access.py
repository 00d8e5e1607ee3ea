"""Who may be in the private chats the bot manages.

Getting in: a join request from someone holding a key that unlocks the chat is approved, and
the member is recorded as admitted (before Telegram is asked, so that nobody the bot let in is
ever unknown to it); anyone else is told what to buy, directly at the request's
`user_chat_id` (it works only until the request is answered), then declined.

Getting out: when a member's key ends, a removal is recorded for every chat that no key they
still hold unlocks, in the transaction that decides it (`owe_removals`), and done later by
`bot.services.removals`. Only members the bot admitted are ever removed: never the owner, an
administrator, or anyone who was in the chat before the bot managed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import ChatJoinRequest
from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog
from bot.keyboards.access import buy_keyboard
from bot.services.chat_setup import ManagedChats
from bot.telegram.failures import CALL_ERRORS, describe_failure, outcome_unknown
from entitlements import held_keys
from storage import SessionFactory, Writer, mark_changed, utcnow
from storage.repositories.access import AccessRepository

# What the writer reports after a commit that recorded removals: the worker wakes up.
ACCESS_CHANGED = "access"
# Telegram's answers meaning the join request was answered already: what was asked is so.
REQUEST_SETTLED = ("USER_ALREADY_PARTICIPANT", "HIDE_REQUESTER_MISSING")


class RemovalReason(StrEnum):
    EXPIRED = "expired"
    REFUNDED = "refunded"
    REVOKED = "revoked"


@dataclass(frozen=True)
class EndedKey:
    """A key a user stopped holding, and when the chats it unlocked may let them go."""

    user_id: int
    key: str
    due_at: datetime  # at once for a refund or a revocation; after ACCESS_GRACE for an expiry
    reason: RemovalReason


async def owe_removals(
    session: AsyncSession, catalog: Catalog, ended: Sequence[EndedKey], now: datetime
) -> int:
    """In the caller's transaction, record a removal for each chat an ended key unlocked, of
    each member the bot admitted there who holds no other key for it. Returns how many are
    new (one already owed stays as it is)."""
    pairs: dict[tuple[int, int], EndedKey] = {}
    for end in ended:
        for chat_id in catalog.chats_of_key(end.key):
            earlier = pairs.get((chat_id, end.user_id))
            if earlier is None or end.due_at < earlier.due_at:
                pairs[(chat_id, end.user_id)] = end
    if not pairs:
        return 0
    repository = AccessRepository(session)
    users = {user_id for _, user_id in pairs}
    chats = {chat_id for chat_id, _ in pairs}
    admitted = await repository.admitted(users, chats) & set(pairs)
    admitted -= await repository.parked_among(users, chats)  # given up on: not owed again
    keys = {key for chat_id, _ in admitted for key in catalog.keys_for_chat(chat_id)}
    held = await held_keys(session, users, keys, now=now)
    rows = [
        {
            "chat_id": chat_id,
            "user_id": user_id,
            "reason": pairs[(chat_id, user_id)].reason,
            "due_at": pairs[(chat_id, user_id)].due_at,
            "created_at": now,
        }
        for chat_id, user_id in sorted(admitted)
        if not catalog.keys_for_chat(chat_id) & held.get(user_id, set())
    ]
    added = await repository.owe(rows)
    if added:
        mark_changed(session, ACCESS_CHANGED)
    return added


async def owe_removals_after_revoke(
    session: AsyncSession,
    catalog: Catalog,
    user_id: int,
    reason: RemovalReason,
    now: datetime | None = None,
) -> int:
    """After a refund or a revocation in this transaction: the member is removed at once from
    every managed chat that none of their remaining keys unlocks."""
    now = now or utcnow()
    keys = {key for chat_id in catalog.chats for key in catalog.keys_for_chat(chat_id)}
    ended = [EndedKey(user_id, key, now, reason) for key in sorted(keys)]
    return await owe_removals(session, catalog, ended, now)


async def drop_removals_for_grants(
    session: AsyncSession,
    catalog: Catalog,
    grants: Iterable[tuple[int, Iterable[str]]],
    now: datetime,
) -> None:
    """In a transaction that grants keys: the removals still owed to these members in the
    chats the keys unlock are dropped (a renewal within ACCESS_GRACE keeps them in)."""
    pairs = {
        (user_id, chat_id)
        for user_id, keys in grants
        for key in keys
        for chat_id in catalog.chats_of_key(key)
    }
    await AccessRepository(session).drop_pending_pairs(pairs, now)


class JoinDecision(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    IGNORED = "ignored"  # not a chat of the catalog


class JoinRequests:
    """Answers join requests to the managed chats, and notes members who left."""

    def __init__(
        self,
        bot: Bot,
        writer: Writer,
        readers: SessionFactory,
        catalog: Catalog,
        chats: ManagedChats,
    ) -> None:
        self.bot = bot
        self.writer = writer
        self.readers = readers
        self.catalog = catalog
        self.chats = chats

    async def handle(self, request: ChatJoinRequest) -> JoinDecision:
        """Approve a key holder (recorded first), or say what to buy and decline. Raises when
        Telegram may not have got the answer (a 5xx, the network), so that it is tried again."""
        chat_id, user_id = request.chat.id, request.from_user.id
        if chat_id not in self.catalog.chats:
            return JoinDecision.IGNORED
        keys = self.catalog.keys_for_chat(chat_id)
        async with self.readers() as session:
            held = await held_keys(session, [user_id], keys)
        if held:
            await self.writer.write(
                lambda s: AccessRepository(s).admit(chat_id, user_id, utcnow())
            )
            await self._answer(request, approve=True)
            decision = JoinDecision.APPROVED
        else:
            await self._tell_what_to_buy(request)
            await self._answer(request, approve=False)
            decision = JoinDecision.DECLINED
        logger.info("join request chat={} user={}: {}", chat_id, user_id, decision)
        return decision

    async def member_left(self, chat_id: int, user_id: int) -> None:
        """A member is out of a managed chat (left, or removed by someone): nothing is owed."""
        if chat_id not in self.catalog.chats:
            return

        async def work(session: AsyncSession) -> None:
            now = utcnow()
            repository = AccessRepository(session)
            if await repository.mark_removed(chat_id, user_id, now):
                await repository.drop_pending(user_id, [chat_id], now, left=True)

        await self.writer.write(work)

    async def _tell_what_to_buy(self, request: ChatJoinRequest) -> None:
        chat_id = request.chat.id
        products = self.catalog.products_for_chat(chat_id)
        title = request.chat.title or self.chats.title(chat_id)
        try:
            await self.bot.send_message(
                request.user_chat_id,
                texts.join_refused(title, products),
                reply_markup=buy_keyboard(products),
            )
        except CALL_ERRORS as exc:  # the request is declined all the same
            logger.info(
                "could not tell user {} what to buy for chat {}: {}",
                request.from_user.id,
                chat_id,
                describe_failure(exc),
            )

    async def _answer(self, request: ChatJoinRequest, *, approve: bool) -> None:
        chat_id, user_id = request.chat.id, request.from_user.id
        answer = (
            self.bot.approve_chat_join_request if approve else self.bot.decline_chat_join_request
        )
        try:
            await answer(chat_id, user_id)
        except TelegramBadRequest as exc:
            if any(code in exc.message for code in REQUEST_SETTLED):
                return  # answered before (this update handled again), or already a member
            logger.warning(
                "join request chat={} user={} not answered: {}",
                chat_id,
                user_id,
                describe_failure(exc),
            )
        except CALL_ERRORS as exc:
            if isinstance(exc, TelegramRetryAfter) or outcome_unknown(exc):
                raise
            logger.warning(
                "join request chat={} user={} not answered: {}",
                chat_id,
                user_id,
                describe_failure(exc),
            )
