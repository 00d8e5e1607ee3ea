"""Stars subscriptions: where each stands, and the records of what Telegram did to them.

A subscription (storage.Subscription) is keyed by its first charge, which is the id Telegram
takes in editUserStarSubscription. Its access is the entitlements of its payments, one paid
period each, so it lapses by itself: a period past its end is not active, and a subscription
past its expiration date without a renewal has ended. Cancelling stops the renewal only: the
period paid for runs to its end. Telegram does not tell bots when a buyer cancels inside
Telegram: such a subscription shows as renewing until its date, then as ended.

Where a subscription stands (`status_of`) and what a change did are plain values in
`bot.outcomes`, which the texts render; asking Telegram is `bot.services.renewals`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.retry import with_db_retry
from storage import SessionFactory, Subscription, SubscriptionRepository, Writer, utcnow


async def subscriptions_of(readers: SessionFactory, user_id: int) -> Sequence[Subscription]:
    """The buyer's subscriptions, the newest first."""
    async with readers() as session:
        return await SubscriptionRepository(session).list_for_user(user_id)


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
