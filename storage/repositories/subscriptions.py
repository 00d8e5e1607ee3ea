"""Stars subscriptions: which a buyer has, and what became of their renewals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from storage.models import Subscription
from storage.repositories.base import Repository, first_where


class SubscriptionRepository(Repository):
    """Stars subscriptions, each keyed by its first charge (see `Subscription`)."""

    async def get(self, telegram_payment_charge_id: str) -> Subscription | None:
        """By the charge id of its first payment."""
        charge = Subscription.telegram_payment_charge_id == telegram_payment_charge_id
        return await first_where(self.session, Subscription, charge, fresh=True)

    async def get_by_id(self, subscription_id: int) -> Subscription | None:
        """By row id: what a button names, since a charge id may not fit in its 64 bytes."""
        return await self.session.get(Subscription, subscription_id, populate_existing=True)

    async def list_for_user(self, user_id: int) -> Sequence[Subscription]:
        """The user's subscriptions, the newest first."""
        statement = (
            select(Subscription)
            .where(Subscription.user_id == user_id)
            .order_by(col(Subscription.id).desc())
        )
        return (await self.session.exec(statement)).all()

    async def latest_for_payloads(
        self, pairs: set[tuple[int, str]]
    ) -> dict[tuple[int, str], Subscription]:
        """The newest subscription of each (user_id, invoice_payload) that has one: every
        renewal carries its first payment's payload."""
        if not pairs:
            return {}
        statement = (
            select(Subscription)
            .where(
                col(Subscription.user_id).in_({user for user, _ in pairs}),
                col(Subscription.invoice_payload).in_({payload for _, payload in pairs}),
            )
            .order_by(col(Subscription.id))
        )
        found = {(s.user_id, s.invoice_payload): s for s in (await self.session.exec(statement))}
        return {pair: subscription for pair, subscription in found.items() if pair in pairs}

    async def running_products(
        self, user_ids: Iterable[int], product_ids: Iterable[str], now: datetime
    ) -> dict[int, set[str]]:
        """Which of `product_ids` each of `user_ids` has a subscription to that has not ended
        (cancelled or not); users with none are left out."""
        users, products = set(user_ids), set(product_ids)
        if not users or not products:
            return {}
        statement = select(Subscription.user_id, Subscription.product_id).where(
            col(Subscription.user_id).in_(users),
            col(Subscription.product_id).in_(products),
            col(Subscription.ended_at).is_(None),
            col(Subscription.subscription_expiration_date) > now,
        )
        running: dict[int, set[str]] = {}
        for user_id, product_id in (await self.session.exec(statement)).all():
            running.setdefault(user_id, set()).add(product_id)
        return running

    async def by_first_charges(self, charge_ids: Iterable[str]) -> dict[str, Subscription]:
        """The subscriptions whose first charge is among `charge_ids`, by that charge id."""
        wanted = set(charge_ids)
        if not wanted:
            return {}
        statement = select(Subscription).where(
            col(Subscription.telegram_payment_charge_id).in_(wanted)
        )
        return {s.telegram_payment_charge_id: s for s in (await self.session.exec(statement))}

    async def extend(self, subscription_id: int, expiration: datetime, now: datetime) -> None:
        """A renewal was paid: the subscription runs to `expiration` (never earlier)."""
        statement = (
            update(Subscription)
            .where(
                col(Subscription.id) == subscription_id,
                col(Subscription.subscription_expiration_date) < expiration,
            )
            .values(subscription_expiration_date=expiration, updated_at=now)
        )
        await self.session.exec(statement)

    async def set_canceled(
        self, subscription_id: int, is_canceled: bool, now: datetime, *, ended: bool = False
    ) -> None:
        """Record what Telegram did to the renewal; `ended`: a refund also ended the period."""
        values: dict[str, Any] = {"is_canceled": is_canceled, "updated_at": now}
        if ended:
            values["ended_at"] = now
        statement = update(Subscription).where(col(Subscription.id) == subscription_id)
        await self.session.exec(statement.values(**values))
