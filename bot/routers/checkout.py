"""Pre-checkout answers and successful payments."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message, PreCheckoutQuery
from loguru import logger

from bot.filters import Magic
from bot.services.checkout import ANSWER_BUDGET_SECONDS, Checkout, PreCheckout
from bot.services.offers import OfferCheck
from bot.services.payments import PaymentFacts, PaymentRecorder
from bot.telegram.failures import ANSWER_RETRY_PAUSE, describe_failure


def create_router() -> Router:
    router = Router(name=__name__)
    router.pre_checkout_query.register(on_pre_checkout_query)
    router.message.register(on_successful_payment, Magic(F.successful_payment))
    return router


async def on_pre_checkout_query(query: PreCheckoutQuery, checkout: Checkout) -> None:
    facts = PreCheckout(
        user_id=query.from_user.id,
        currency=query.currency,
        total_amount=query.total_amount,
        invoice_payload=query.invoice_payload,
    )
    deadline = time.monotonic() + ANSWER_BUDGET_SECONDS
    check = await checkout.decide(facts)
    await answer_before(deadline, query, check)
    logger.info(
        "pre-checkout {} user={} amount={} {}: {}",
        query.id,
        facts.user_id,
        query.total_amount,
        query.currency,
        check.refusal or "accepted",
    )
    await checkout.audit(facts, check, query.model_dump(mode="json", exclude_none=True))


async def answer_before(deadline: float, query: PreCheckoutQuery, check: OfferCheck) -> None:
    """Answer the query, trying again after a transient failure while the deadline allows."""
    while True:
        try:
            await query.answer(ok=check.refusal is None, error_message=check.error_message)
            return
        except TelegramBadRequest as exc:  # e.g. redelivered after it was already answered
            logger.warning("pre-checkout {} could not be answered: {}", query.id, exc.message)
            return
        except Exception as exc:  # 5xx, a 502 page, the network: Telegram may take it again
            if time.monotonic() + ANSWER_RETRY_PAUSE >= deadline:
                logger.error(
                    "pre-checkout {} unanswered, out of time: {}", query.id, describe_failure(exc)
                )
                return
            logger.warning(
                "pre-checkout {} answer failed, retrying: {}", query.id, describe_failure(exc)
            )
            await asyncio.sleep(ANSWER_RETRY_PAUSE)


async def on_successful_payment(message: Message, payments: PaymentRecorder) -> None:
    payment = message.successful_payment
    assert payment is not None
    user_id = message.from_user.id if message.from_user else message.chat.id
    facts = PaymentFacts(
        user_id=user_id,
        telegram_payment_charge_id=payment.telegram_payment_charge_id,
        provider_payment_charge_id=payment.provider_payment_charge_id or None,
        total_amount=payment.total_amount,
        currency=payment.currency,
        invoice_payload=payment.invoice_payload,
        paid_at=message.date,
        is_recurring=bool(payment.is_recurring),
        # Telegram marks a subscription's first payment; a renewal comes without the flag.
        is_first_recurring=bool(payment.is_first_recurring) if payment.is_recurring else None,
        subscription_expiration_date=_utc(payment.subscription_expiration_date),
    )
    # An exception here fails the update, so the inbox hands it to this handler again.
    await payments.record(facts, raw=message.model_dump(mode="json", exclude_none=True))


def _utc(unix_time: int | None) -> datetime | None:
    return datetime.fromtimestamp(unix_time, UTC) if unix_time is not None else None
