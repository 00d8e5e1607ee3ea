"""A buyer's subscriptions, and cancelling or resuming a renewal through Telegram, by the buyer
or after an admin's refund.

Telegram is asked first (editUserStarSubscription, with the first charge's id), and the database
records only what Telegram did, so a refusal or a timeout leaves the state as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot
from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outcomes import (
    AdminRefundResult,
    AdminRefundStatus,
    AfterRefund,
    ChangeResult,
    ChangeStatus,
    RenewalChange,
    SubscriptionAfterRefund,
    SubscriptionState,
    status_of,
)
from bot.services.retry import with_db_retry
from bot.services.subscriptions import store_renewal
from bot.telegram.failures import CALL_ERRORS, describe_failure
from storage import Payment, SessionFactory, Subscription, SubscriptionRepository, Writer, utcnow

# An admin's refund after which the money is back: the subscription's renewal follows. Sending
# /refund again (already refunded) retries a cancellation that failed.
REFUNDED = (
    AdminRefundStatus.REFUNDED,
    AdminRefundStatus.REFUNDED_ELSEWHERE,
    AdminRefundStatus.ALREADY_REFUNDED,
)


class Renewals:
    """The buyer's subscriptions and their renewal, as Telegram runs it."""

    def __init__(self, bot: Bot, writer: Writer, readers: SessionFactory) -> None:
        self.bot = bot
        self.writer = writer
        self.readers = readers

    async def subscriptions_of(self, user_id: int) -> Sequence[Subscription]:
        """The buyer's subscriptions, the newest first."""
        async with self.readers() as session:
            return await SubscriptionRepository(session).list_for_user(user_id)

    async def change(
        self, *, user_id: int, subscription_id: int, change: RenewalChange
    ) -> ChangeResult:
        """The buyer's Cancel or Resume: Telegram first, then the record of what it did."""
        async with self.readers() as session:
            subscription = await SubscriptionRepository(session).get_by_id(subscription_id)
        if subscription is None or subscription.user_id != user_id:
            return ChangeResult(ChangeStatus.NOT_FOUND)
        cancel = change is RenewalChange.CANCEL
        ended = status_of(subscription, utcnow()).state is SubscriptionState.ENDED
        if ended or subscription.is_canceled == cancel:
            return ChangeResult(ChangeStatus.UNCHANGED, subscription)
        error = await self._ask_telegram(subscription, cancel=cancel)
        if error is not None:
            return ChangeResult(ChangeStatus.FAILED, subscription, error)
        updated = await self._record(subscription, is_canceled=cancel, ended=False)
        logger.info(
            "subscription {} of user {}: renewal {}",
            subscription.telegram_payment_charge_id,
            user_id,
            "cancelled" if cancel else "resumed",
        )
        return ChangeResult(ChangeStatus.DONE, updated)

    async def after_refund(self, refunded: AdminRefundResult) -> SubscriptionAfterRefund | None:
        """After an admin's refund of a subscription's payment (whose period the refund ended).

        The first charge of a subscription still going: its renewal is cancelled through
        Telegram (asked again by refunding the charge again, if Telegram failed). A renewal's
        refund leaves the subscription renewing. Either way, once the renewal is cancelled and
        the refunded period was the latest, the subscription has ended. None: the money did not
        go back, or not a subscription's payment.
        """
        payment = refunded.payment
        if payment is None or refunded.status not in REFUNDED:
            return None
        if payment.subscription_charge_id is None:
            return None
        async with self.readers() as session:
            subscription = await SubscriptionRepository(session).get(
                payment.subscription_charge_id
            )
        if subscription is None:
            return None
        return await self._end_after_refund(subscription, payment)

    async def _end_after_refund(
        self, subscription: Subscription, payment: Payment
    ) -> SubscriptionAfterRefund:
        state = status_of(subscription, utcnow()).state
        latest = payment.subscription_expiration_date is not None and (
            subscription.subscription_expiration_date <= payment.subscription_expiration_date
        )
        outcome = AfterRefund.UNCHANGED
        if state is SubscriptionState.RENEWS and payment.is_first_recurring:
            error = await self._ask_telegram(subscription, cancel=True)
            if error is not None:
                return SubscriptionAfterRefund(AfterRefund.FAILED, subscription, error)
            outcome = AfterRefund.CANCELED
        canceled = subscription.is_canceled or outcome is AfterRefund.CANCELED
        ends_now = canceled and latest and state is not SubscriptionState.ENDED
        if outcome is AfterRefund.CANCELED or ends_now:
            subscription = await self._record(subscription, is_canceled=True, ended=ends_now)
        logger.info(
            "refund of {} (subscription {}): renewal {}, ended now: {}",
            payment.telegram_payment_charge_id,
            subscription.telegram_payment_charge_id,
            outcome,
            ends_now,
        )
        return SubscriptionAfterRefund(outcome, subscription)

    async def _ask_telegram(self, subscription: Subscription, *, cancel: bool) -> str | None:
        """editUserStarSubscription with the first charge's id; None when Telegram did it, else
        what went wrong (it may not have happened)."""
        try:
            done = await self.bot.edit_user_star_subscription(
                user_id=subscription.user_id,
                telegram_payment_charge_id=subscription.telegram_payment_charge_id,
                is_canceled=cancel,
            )
        except CALL_ERRORS as exc:
            error = describe_failure(exc)
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

    async def _record(
        self, subscription: Subscription, *, is_canceled: bool, ended: bool
    ) -> Subscription:
        """Store what Telegram did to the renewal (see `store_renewal`)."""
        assert subscription.id is not None
        subscription_id = subscription.id

        async def work(session: AsyncSession) -> Subscription:
            return await store_renewal(
                session, subscription_id, is_canceled=is_canceled, ended=ended
            )

        return await with_db_retry(
            lambda: self.writer.write(work), what=f"record subscription {subscription_id}"
        )
