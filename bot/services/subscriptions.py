"""Stars subscriptions: where each stands, and the records of what Telegram did to them.

A subscription (storage.Subscription) is keyed by its first charge, which is the id Telegram
takes in editUserStarSubscription. Its access is the entitlements of its payments, one paid
period each, so it lapses by itself: a period past its end is not active, and a subscription
past its expiration date without a renewal has ended. Cancelling stops the renewal only: the
period paid for runs to its end. Telegram does not tell bots when a buyer cancels inside
Telegram: such a subscription shows as renewing until its date, then as ended.

Asking Telegram is `bot.services.renewals`; this module imports no aiogram, so that the texts
(and the command line) can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.retry import with_db_retry
from storage import SessionFactory, Subscription, SubscriptionRepository, Writer, utcnow


class SubscriptionState(StrEnum):
    RENEWS = "renews"  # Telegram charges the next period on `on`
    CANCELED = "canceled"  # no renewal: access runs to `on`
    ENDED = "ended"  # over since `on`


@dataclass(frozen=True)
class Status:
    state: SubscriptionState
    on: datetime


def status_of(subscription: Subscription, now: datetime) -> Status:
    """Where a subscription stands at `now`."""
    if subscription.ended_at is not None:
        return Status(SubscriptionState.ENDED, subscription.ended_at)
    end = subscription.subscription_expiration_date
    if end <= now:
        return Status(SubscriptionState.ENDED, end)
    if subscription.is_canceled:
        return Status(SubscriptionState.CANCELED, end)
    return Status(SubscriptionState.RENEWS, end)


async def subscriptions_of(readers: SessionFactory, user_id: int) -> Sequence[Subscription]:
    """The buyer's subscriptions, the newest first."""
    async with readers() as session:
        return await SubscriptionRepository(session).list_for_user(user_id)


class ChangeStatus(StrEnum):
    DONE = "done"  # Telegram did it; recorded
    NOT_FOUND = "not_found"  # no such subscription of this buyer
    UNCHANGED = "unchanged"  # already so, or ended: Telegram was not asked
    FAILED = "failed"  # Telegram refused or did not answer; nothing changed here


@dataclass(frozen=True)
class ChangeResult:
    status: ChangeStatus
    subscription: Subscription | None = None  # as it stands afterwards
    error: str | None = None  # what Telegram said, for FAILED


class AfterRefund(StrEnum):
    CANCELED = "canceled"  # the refunded first charge's subscription no longer renews
    UNCHANGED = "unchanged"  # nothing to ask Telegram: a renewal, or already cancelled or over
    FAILED = "failed"  # Telegram did not cancel the renewal: it may still renew


@dataclass(frozen=True)
class SubscriptionAfterRefund:
    outcome: AfterRefund
    subscription: Subscription  # as it stands afterwards
    error: str | None = None


async def record_renewal(
    writer: Writer, subscription: Subscription, *, is_canceled: bool, ended: bool
) -> Subscription:
    """Store what Telegram did to the renewal, and with `ended` that a refund ended the
    subscription now; returns the subscription as stored."""
    assert subscription.id is not None
    subscription_id = subscription.id

    async def work(session: AsyncSession) -> Subscription:
        repository = SubscriptionRepository(session)
        await repository.set_canceled(subscription_id, is_canceled, utcnow(), ended=ended)
        stored = await repository.get_by_id(subscription_id)
        assert stored is not None
        return stored

    return await with_db_retry(
        lambda: writer.write(work), what=f"record subscription {subscription_id}"
    )
