"""Stars subscriptions: where a subscription's payment belongs, storing them, and where each
stands.

A subscription (storage.Subscription) is keyed by its first charge, which is the id Telegram
takes in editUserStarSubscription. Its access is the entitlements of its payments, one paid
period each, so it lapses by itself: a period past its end is not active, and a subscription
past its expiration date without a renewal has ended. Cancelling stops the renewal only: the
period paid for runs to its end. Telegram does not tell bots when a buyer cancels inside
Telegram: such a subscription shows as renewing until its date, then as ended.

Where a subscription stands (`status_of`) and what a change did are plain values in
`bot.outcomes`, which the texts render; asking Telegram is `bot.services.renewals`. The steps
here run inside the payment writer's (or the renewals') transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.catalog import SUBSCRIPTION_PERIOD
from storage import Subscription, SubscriptionRepository, utcnow
from storage.repositories import Row, insert_many_ignoring_conflict

if TYPE_CHECKING:  # payments imports this module
    from bot.services.payments import PaymentFacts


@dataclass(frozen=True)
class KnownSubscription:
    """The buyer's newest subscription with a payment's invoice payload, as stored so far."""

    first_charge_id: str
    expiration: datetime
    going: bool  # neither cancelled by the bot nor ended by a refund
    product_id: str | None = None  # as stored with the first charge; None: not stored yet

    @classmethod
    def of(cls, subscription: Subscription) -> KnownSubscription:
        going = not subscription.is_canceled and subscription.ended_at is None
        return cls(
            subscription.telegram_payment_charge_id,
            subscription.subscription_expiration_date,
            going,
            subscription.product_id,
        )


@dataclass(frozen=True)
class SubscriptionPayment:
    """Where a subscription's payment belongs: the subscription's first charge (None: a renewal
    of a subscription this shop never stored), when the period it paid for ends, and for a
    renewal of a stored subscription, the product stored with it (None: the payload says)."""

    first: bool
    subscription_charge_id: str | None
    expiration: datetime
    product_id: str | None = None


def place_in_subscription(
    facts: PaymentFacts, known: KnownSubscription | None
) -> SubscriptionPayment:
    """The rule for a subscription's payment, given the buyer's newest subscription with the same
    invoice payload. Telegram's flags decide when it sent them; a Star transaction found by
    reconciliation has none, and is a renewal of a subscription still going, else a first
    payment. Without Telegram's date, a period ends one SUBSCRIPTION_PERIOD after the previous
    one (or after the payment, if that came later)."""
    charge_id = facts.telegram_payment_charge_id
    first = facts.is_first_recurring
    if first is None:
        first = known is None or known.first_charge_id == charge_id or not known.going
    if first or known is None:
        end = facts.subscription_expiration_date or facts.paid_at + SUBSCRIPTION_PERIOD
        # A renewal of a subscription never stored here grants its period all the same.
        return SubscriptionPayment(first, charge_id if first else None, end)
    start = max(known.expiration, facts.paid_at)
    end = facts.subscription_expiration_date or start + SUBSCRIPTION_PERIOD
    return SubscriptionPayment(False, known.first_charge_id, end, known.product_id)


async def place_payments(
    session: AsyncSession, payments: Sequence[PaymentFacts]
) -> dict[str, SubscriptionPayment]:
    """Where each subscription's payment among `payments` belongs, by charge id, in one
    look-up. A renewal paid in the same batch as its first payment finds the subscription that
    one starts. The pre-checkout sells no second subscription to a product while one runs, so
    a buyer's invoice payload names one subscription."""
    recurring = [facts for facts in payments if facts.is_recurring]
    pairs = {(f.user_id, f.invoice_payload) for f in recurring}
    stored = await SubscriptionRepository(session).latest_for_payloads(pairs)
    known = {pair: KnownSubscription.of(s) for pair, s in stored.items()}
    placed: dict[str, SubscriptionPayment] = {}
    for facts in recurring:
        pair = (facts.user_id, facts.invoice_payload)
        period = placed.setdefault(
            facts.telegram_payment_charge_id, place_in_subscription(facts, known.get(pair))
        )
        previous = known.get(pair)
        if period.first:
            charge_id = facts.telegram_payment_charge_id
            known[pair] = KnownSubscription(charge_id, period.expiration, True, None)
        elif previous is not None:
            end = max(previous.expiration, period.expiration)
            known[pair] = dataclasses.replace(previous, expiration=end)
    return placed


async def store_subscriptions(session: AsyncSession, stored: Sequence[Row], now: datetime) -> None:
    """New subscriptions for the first payments among the payment rows just stored, and each
    renewal's new expiration date on its subscription."""
    first, renewals = [], []
    for row in stored:
        if row["subscription_charge_id"] == row["telegram_payment_charge_id"]:
            first.append(row)
        elif row["subscription_charge_id"] is not None:
            renewals.append(row)
    table = Subscription.__table__  # type: ignore[attr-defined]
    await insert_many_ignoring_conflict(
        session, table, [_subscription_row(row, now) for row in first], table.c.id
    )
    if not renewals:
        return
    repository = SubscriptionRepository(session)
    subscriptions = await repository.by_first_charges(
        row["subscription_charge_id"] for row in renewals
    )
    for row in renewals:
        subscription_id = subscriptions[row["subscription_charge_id"]].id
        assert subscription_id is not None
        await repository.extend(subscription_id, row["subscription_expiration_date"], now)


async def store_renewal(
    session: AsyncSession, subscription_id: int, *, is_canceled: bool, ended: bool
) -> Subscription:
    """Store what Telegram did to the renewal, and with `ended` that a refund ended the
    subscription now; returns the subscription as stored."""
    repository = SubscriptionRepository(session)
    await repository.set_canceled(subscription_id, is_canceled, utcnow(), ended=ended)
    stored = await repository.get_by_id(subscription_id)
    assert stored is not None
    return stored


def _subscription_row(first_payment: Row, now: datetime) -> Row:
    return {
        "telegram_payment_charge_id": first_payment["telegram_payment_charge_id"],
        "user_id": first_payment["user_id"],
        "product_id": first_payment["product_id"],
        "invoice_payload": first_payment["invoice_payload"],
        "subscription_expiration_date": first_payment["subscription_expiration_date"],
        "is_canceled": False,
        "created_at": now,
        "updated_at": now,
    }
