"""Refunds Telegram reports: a `refunded_payment` message, for any refund of ours or not.

The whole story: an admin's /refund (bot.routers.admin_refunds) asks Telegram and records what
it did; Telegram then sends refunded_payment, which lands here, as do refunds made outside the
bot. Whichever comes first records the refund, revokes what the charge granted and owes the
buyer one notice (bot.services.refunds); the other changes nothing.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message
from loguru import logger

from bot.filters import Magic
from bot.services.refunds import Refunds, RefundStatus


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_refunded_payment, Magic(F.refunded_payment))
    return router


async def on_refunded_payment(message: Message, refunds: Refunds) -> None:
    refunded = message.refunded_payment
    assert refunded is not None
    charge_id = refunded.telegram_payment_charge_id
    # An exception here fails the update, so the inbox hands it to this handler again.
    outcome = await refunds.record_reported(
        charge_id, raw=message.model_dump(mode="json", exclude_none=True)
    )
    if outcome.status is RefundStatus.UNKNOWN_PAYMENT:
        # Kept in audit_events all the same; nothing to revoke, nobody to tell.
        logger.warning(
            "refunded_payment for unknown charge {}: user {}, {} {}",
            charge_id,
            message.chat.id,
            refunded.total_amount,
            refunded.currency,
        )
