"""Payment support: a buyer's request, owed to every admin with a Refund button per payment."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog
from bot.services.retry import with_db_retry
from storage import (
    OutboxPriority,
    OutboxRepository,
    Payment,
    PaymentRepository,
    Refund,
    RefundRepository,
    Writer,
)

RECENT_PAYMENTS = 10


class RefundStep(StrEnum):
    ASK = "ask"  # the Refund button under a support request
    CONFIRM = "confirm"
    CANCEL = "cancel"


class RefundButton(CallbackData, prefix="adm"):
    """`adm:<step>:<payment row id>`; a Stars charge id alone can outgrow the 64 bytes."""

    step: RefundStep
    payment_id: int


@dataclass(frozen=True)
class SupportRequest:
    user_id: int
    username: str | None
    full_name: str
    description: str
    # The buyer's message (chat:message id): handling it twice owes the admins nothing more.
    message_key: str


def refundable(payments: Sequence[Payment], refunds: dict[str, Refund]) -> list[Payment]:
    """The payments that have no refund yet."""
    return [p for p in payments if p.telegram_payment_charge_id not in refunds]


def refund_keyboard(payments: Sequence[Payment], catalog: Catalog) -> InlineKeyboardMarkup | None:
    """A Refund button per payment, or None when there is none."""
    if not payments:
        return None
    builder = InlineKeyboardBuilder()
    for payment in payments:
        assert payment.id is not None
        builder.button(
            text=texts.refund_button_label(payment, catalog.get(payment.product_id)),
            callback_data=RefundButton(step=RefundStep.ASK, payment_id=payment.id),
        )
    builder.adjust(1)
    return builder.as_markup()


def confirm_keyboard(payment_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text="Confirm refund",
        callback_data=RefundButton(step=RefundStep.CONFIRM, payment_id=payment_id),
    )
    builder.button(
        text="Cancel", callback_data=RefundButton(step=RefundStep.CANCEL, payment_id=payment_id)
    )
    return builder.as_markup()


async def forward_to_admins(
    writer: Writer,
    catalog: Catalog,
    admin_ids: Collection[int],
    request: SupportRequest,
) -> int:
    """Owe every admin the request, with the buyer's recent payments, in one transaction.

    Returns how many admins were newly owed it (0 when it was already forwarded).
    """

    async def work(session: AsyncSession) -> int:
        payments = await PaymentRepository(session).list_for_user(
            request.user_id, limit=RECENT_PAYMENTS
        )
        refunds = await RefundRepository(session).refunded_among(
            [p.telegram_payment_charge_id for p in payments]
        )
        text = texts.support_request(
            request.user_id,
            request.username,
            request.full_name,
            request.description,
            payments,
            refunds,
            catalog,
        )
        keyboard = refund_keyboard(refundable(payments, refunds), catalog)
        markup = keyboard.model_dump_json(exclude_none=True) if keyboard else None
        outbox = OutboxRepository(session)
        queued = 0
        for admin_id in sorted(admin_ids):
            key = f"support:{request.message_key}:{admin_id}"
            queued += await outbox.queue(
                admin_id,
                text,
                priority=OutboxPriority.ADMIN_NOTICE,
                reply_markup=markup,
                dedupe_key=key,
            )
        return queued

    queued = await with_db_retry(
        lambda: writer.write(work), what=f"forward support request of {request.user_id}"
    )
    logger.info("support request from user {} owed to {} admins", request.user_id, queued)
    return queued
