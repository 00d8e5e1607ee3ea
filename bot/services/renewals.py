"""Cancelling and resuming a subscription's renewal through Telegram, by the buyer or after
an admin's refund.

Telegram is asked first (editUserStarSubscription, with the first charge's id), and the database
records only what Telegram did, so a refusal or a timeout leaves the state as it was.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from loguru import logger

from bot.outcomes import (
    AfterRefund,
    ChangeResult,
    ChangeStatus,
    RenewalChange,
    SubscriptionAfterRefund,
    SubscriptionState,
    status_of,
)
from bot.services.subscriptions import record_renewal
from storage import Payment, SessionFactory, Subscription, SubscriptionRepository, Writer, utcnow

# What editUserStarSubscription may raise besides success; anything else is a bug.
CALL_ERRORS = (TelegramAPIError, ClientDecodeError, TimeoutError)


def describe_call_error(exc: BaseException) -> str:
    """What went wrong with a call to Telegram, in a few words for a person."""
    if isinstance(exc, TelegramAPIError):
        return exc.message
    if isinstance(exc, ClientDecodeError):
        return "Telegram answered with an error page"
    if isinstance(exc, TimeoutError):
        return "Telegram did not answer in time"
    return type(exc).__name__


async def ask_telegram(bot: Bot, subscription: Subscription, *, cancel: bool) -> str | None:
    """editUserStarSubscription with the first charge's id; None when Telegram did it, else
    what went wrong (it may not have happened)."""
    try:
        done = await bot.edit_user_star_subscription(
            user_id=subscription.user_id,
            telegram_payment_charge_id=subscription.telegram_payment_charge_id,
            is_canceled=cancel,
        )
    except CALL_ERRORS as exc:
        error = describe_call_error(exc)
    else:
        if done:
            return None
        error = "Telegram answered False"
    logger.warning(
        "editUserStarSubscription charge={} user={} is_canceled={}: {}",
        subscription.telegram_payment_charge_id,
        subscription.user_id,
        cancel,
        error,
    )
    return error


async def change_renewal(
    bot: Bot,
    writer: Writer,
    readers: SessionFactory,
    *,
    user_id: int,
    subscription_id: int,
    change: RenewalChange,
) -> ChangeResult:
    """The buyer's Cancel or Resume: Telegram first, then the record of what it did."""
    async with readers() as session:
        subscription = await SubscriptionRepository(session).get_by_id(subscription_id)
    if subscription is None or subscription.user_id != user_id:
        return ChangeResult(ChangeStatus.NOT_FOUND)
    cancel = change is RenewalChange.CANCEL
    ended = status_of(subscription, utcnow()).state is SubscriptionState.ENDED
    if ended or subscription.is_canceled == cancel:
        return ChangeResult(ChangeStatus.UNCHANGED, subscription)
    error = await ask_telegram(bot, subscription, cancel=cancel)
    if error is not None:
        return ChangeResult(ChangeStatus.FAILED, subscription, error)
    updated = await record_renewal(writer, subscription, is_canceled=cancel, ended=False)
    logger.info(
        "subscription {} of user {}: renewal {}",
        subscription.telegram_payment_charge_id,
        user_id,
        "cancelled" if cancel else "resumed",
    )
    return ChangeResult(ChangeStatus.DONE, updated)


async def end_after_refund(
    bot: Bot, writer: Writer, readers: SessionFactory, payment: Payment
) -> SubscriptionAfterRefund | None:
    """After an admin refunded a subscription's payment (whose period the refund ended).

    The first charge of a subscription still going: its renewal is cancelled through Telegram
    (asked again by refunding the charge again, if Telegram failed). A renewal's refund leaves
    the subscription renewing. Either way, once the renewal is cancelled and the refunded
    period was the latest, the subscription has ended. None: not a subscription's payment.
    """
    if payment.subscription_charge_id is None:
        return None
    async with readers() as session:
        subscription = await SubscriptionRepository(session).get(payment.subscription_charge_id)
    if subscription is None:
        return None
    state = status_of(subscription, utcnow()).state
    latest = payment.subscription_expiration_date is not None and (
        subscription.subscription_expiration_date <= payment.subscription_expiration_date
    )
    outcome = AfterRefund.UNCHANGED
    if state is SubscriptionState.RENEWS and payment.is_first_recurring:
        error = await ask_telegram(bot, subscription, cancel=True)
        if error is not None:
            return SubscriptionAfterRefund(AfterRefund.FAILED, subscription, error)
        outcome = AfterRefund.CANCELED
    canceled = subscription.is_canceled or outcome is AfterRefund.CANCELED
    ends_now = canceled and latest and state is not SubscriptionState.ENDED
    if outcome is AfterRefund.CANCELED or ends_now:
        subscription = await record_renewal(writer, subscription, is_canceled=True, ended=ends_now)
    logger.info(
        "refund of {} (subscription {}): renewal {}, ended now: {}",
        payment.telegram_payment_charge_id,
        subscription.telegram_payment_charge_id,
        outcome,
        ends_now,
    )
    return SubscriptionAfterRefund(outcome, subscription)
