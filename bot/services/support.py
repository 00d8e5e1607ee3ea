"""Payment support: a buyer's request, owed to every admin with a Refund button per payment.

Each buyer has one stored request (`storage.SupportRequest`). It is open for SUPPORT_COOLDOWN
after it went to the admins: what the buyer sends meanwhile through /paysupport is added to it,
not sent again, so one buyer reaches the admins at most once per cooldown. It stops being open
only by time, not when an admin acts: an admin may answer outside the bot (or refund an
unrelated payment), and a buyer must be able to reach a person again after the cooldown
whatever happened. The row also holds the conversation's state (asked for a description), so a
restart in between loses nothing and nothing is kept in memory per buyer.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from aiogram.types import InlineKeyboardMarkup
from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog
from bot.keyboards.refunds import refund_keyboard
from bot.services.languages import UserLanguages
from bot.services.retry import with_db_retry
from storage import (
    OutboxPriority,
    OutboxRepository,
    Payment,
    PaymentRepository,
    Refund,
    RefundRepository,
    SessionFactory,
    SupportRepository,
    SupportRequest,
    Writer,
    utcnow,
)

RECENT_PAYMENTS = 10
# The most of a request (what the buyer wrote, and added) that is stored.
STORED_DESCRIPTION_LIMIT = 16_000


@dataclass(frozen=True)
class SupportMessage:
    """The buyer's description of the problem, as they sent it."""

    user_id: int
    username: str | None
    full_name: str
    description: str
    # The buyer's message (chat:message id): handling it twice owes the admins nothing more.
    message_key: str


def refundable(payments: Sequence[Payment], refunds: dict[str, Refund]) -> list[Payment]:
    """The payments that have no refund yet."""
    return [p for p in payments if p.telegram_payment_charge_id not in refunds]


class SupportOutcome(StrEnum):
    FORWARDED = "forwarded"  # a new request, owed to every admin
    ADDED = "added"  # added to the buyer's open request; the admins are not told again


@dataclass(frozen=True)
class Submitted:
    outcome: SupportOutcome
    opened_at: datetime  # when the request the description went into was sent to the admins


def open_since(
    request: SupportRequest | None, now: datetime, cooldown: timedelta
) -> datetime | None:
    """When the buyer's request went to the admins, while it is open (less than `cooldown`
    ago); None when there is no open request."""
    if request is None or request.opened_at is None or now - request.opened_at >= cooldown:
        return None
    return request.opened_at


def added_to(description: str, addition: str, now: datetime) -> str:
    """The stored request with `addition` after it, marked with its time; what passes
    STORED_DESCRIPTION_LIMIT is not kept. The mark has no words: the stored text is read
    later by admins of either language."""
    combined = f"{description}\n\n[+ {now:%Y-%m-%d %H:%M} UTC] {addition}"
    return combined[:STORED_DESCRIPTION_LIMIT]


class Support:
    """Payment support requests: the conversation's state, and what the admins are owed."""

    def __init__(
        self,
        writer: Writer,
        readers: SessionFactory,
        catalog: Catalog,
        admin_ids: Collection[int],
        cooldown: timedelta,
        *,
        languages: UserLanguages,
    ) -> None:
        self.writer = writer
        self.languages = languages
        self.readers = readers
        self.catalog = catalog
        self.admin_ids = sorted(admin_ids)
        self.cooldown = cooldown

    @property
    def available(self) -> bool:
        """Whether there is anybody to send a request to."""
        return bool(self.admin_ids)

    async def ask_for_description(self, user_id: int) -> datetime | None:
        """Remember that /paysupport asked the buyer to describe the problem. Returns when
        their open request was made, if they have one: what they send next is added to it."""

        async def work(session: AsyncSession) -> datetime | None:
            now = utcnow()
            requests = SupportRepository(session)
            since = open_since(await requests.get(user_id), now, self.cooldown)
            await requests.ask(user_id, now)
            return since

        return await with_db_retry(
            lambda: self.writer.write(work), what=f"ask {user_id} for support"
        )

    async def is_asked(self, user_id: int) -> bool:
        """Whether /paysupport is waiting for this buyer's description."""
        async with self.readers() as session:
            return await SupportRepository(session).is_asked(user_id)

    async def cancel(self, user_id: int) -> bool:
        """Stop waiting for the buyer's description; False if nothing was waiting."""

        async def work(session: AsyncSession) -> bool:
            return await SupportRepository(session).stop_asking(user_id, utcnow())

        return await with_db_retry(
            lambda: self.writer.write(work), what=f"cancel support of {user_id}"
        )

    async def submit(self, message: SupportMessage) -> Submitted:
        """The buyer's description: added to their open request, or else stored as a new
        request and owed to every admin, with the buyer's recent payments, in one
        transaction."""

        async def work(session: AsyncSession) -> Submitted:
            now = utcnow()
            requests = SupportRepository(session)
            request = await requests.get(message.user_id)
            since = open_since(request, now, self.cooldown)
            if request is not None and since is not None:
                description = added_to(request.description, message.description, now)
                await requests.add_to(message.user_id, description, now)
                return Submitted(SupportOutcome.ADDED, since)
            description = message.description[:STORED_DESCRIPTION_LIMIT]
            await requests.open(message.user_id, description, now)
            await self._owe_admins(session, message)
            return Submitted(SupportOutcome.FORWARDED, now)

        submitted = await with_db_retry(
            lambda: self.writer.write(work), what=f"store support request of {message.user_id}"
        )
        logger.info(
            "support request of user {}: {} (opened {})",
            message.user_id,
            submitted.outcome,
            submitted.opened_at,
        )
        return submitted

    async def _owe_admins(self, session: AsyncSession, message: SupportMessage) -> None:
        """Queue the request for every admin, with the buyer's recent payments and a Refund
        button for each one not refunded yet."""
        payments = await PaymentRepository(session).list_for_user(
            message.user_id, limit=RECENT_PAYMENTS
        )
        refunds = await RefundRepository(session).refunded_among(
            [p.telegram_payment_charge_id for p in payments]
        )
        request = partial(
            texts.support_request,
            message.user_id,
            message.username,
            message.full_name,
            message.description,
            payments,
            refunds,
            self.catalog,
        )
        keyboard = partial(refund_keyboard, refundable(payments, refunds), self.catalog)
        admins = await self.languages.of_many(session, self.admin_ids)
        outbox = OutboxRepository(session)
        for admin_id in self.admin_ids:
            # In the admin's language, not the buyer's (whose update this is).
            text, markup = admins.render(admin_id, lambda: (request(), _json(keyboard())))
            await outbox.queue(
                admin_id,
                text,
                priority=OutboxPriority.ADMIN_NOTICE,
                reply_markup=markup,
                # The same message handled twice owes the admins nothing more.
                dedupe_key=f"support:{message.message_key}:{admin_id}",
            )


def _json(keyboard: InlineKeyboardMarkup | None) -> str | None:
    return keyboard.model_dump_json(exclude_none=True) if keyboard else None
