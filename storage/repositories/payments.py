"""Payments, their refunds, and the periods that payments grant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Entitlement, Payment, Refund
from storage.repositories.base import Repository, first_where, insert_ignoring_conflict


class PaymentRepository(Repository):
    """Stars payments, each stored once per telegram_payment_charge_id."""

    async def add(self, payment: Payment) -> bool:
        """Store a payment; False when this telegram_payment_charge_id is already stored."""
        return await insert_ignoring_conflict(self.session, payment)

    async def get(self, telegram_payment_charge_id: str) -> Payment | None:
        """By the charge id Telegram gave it."""
        charge = Payment.telegram_payment_charge_id == telegram_payment_charge_id
        return await first_where(self.session, Payment, charge)

    async def get_by_id(self, payment_id: int) -> Payment | None:
        """By row id: what a button names, since a charge id may not fit in its 64 bytes."""
        return await self.session.get(Payment, payment_id)

    async def list_for_user(self, user_id: int, limit: int = 10) -> Sequence[Payment]:
        """The user's most recent payments, newest first."""
        statement = (
            select(Payment)
            .where(Payment.user_id == user_id)
            .order_by(col(Payment.paid_at).desc(), col(Payment.id).desc())
            .limit(limit)
        )
        return (await self.session.exec(statement)).all()

    async def count(self) -> int:
        """How many payments are stored."""
        statement = select(func.count()).select_from(Payment)
        return int((await self.session.exec(statement)).one())

    async def first_ungranted(self, user_id: int, product_id: str) -> Payment | None:
        """The user's oldest payment for `product_id` that is not refunded and granted nothing."""
        charge = col(Payment.telegram_payment_charge_id)
        refunded = select(Refund.id).where(col(Refund.telegram_payment_charge_id) == charge)
        granted = select(Entitlement.id).where(
            col(Entitlement.telegram_payment_charge_id) == charge
        )
        statement = (
            select(Payment)
            .where(
                Payment.user_id == user_id,
                Payment.product_id == product_id,
                ~refunded.exists(),
                ~granted.exists(),
            )
            .order_by(col(Payment.paid_at), col(Payment.id))
            .limit(1)
        )
        return (await self.session.exec(statement)).first()


class RefundRepository(Repository):
    """Refunds, at most one per charge."""

    async def add(self, refund: Refund) -> bool:
        """Store a refund; False when this charge already has one."""
        return await insert_ignoring_conflict(self.session, refund)

    async def get(self, telegram_payment_charge_id: str) -> Refund | None:
        """The refund of this charge, if it has one."""
        charge = Refund.telegram_payment_charge_id == telegram_payment_charge_id
        return await first_where(self.session, Refund, charge)

    async def refunded_among(self, charge_ids: Sequence[str]) -> dict[str, Refund]:
        """The refunds of those charges that have one, by charge id."""
        if not charge_ids:
            return {}
        statement = select(Refund).where(col(Refund.telegram_payment_charge_id).in_(charge_ids))
        return {r.telegram_payment_charge_id: r for r in (await self.session.exec(statement))}


@dataclass(frozen=True)
class PaidPeriod:
    """The latest period a user holds through payments for one product."""

    user_id: int
    product_id: str
    telegram_payment_charge_id: str
    subscription_charge_id: str | None
    expires_at: datetime


async def latest_paid_periods(
    session: AsyncSession, product_ids: Iterable[str], now: datetime, ending_by: datetime
) -> list[PaidPeriod]:
    """For each user and each of `product_ids` they hold through a payment now, whose paid
    access ends by `ending_by`: the payment whose period ends last (not refunded), and that end.

    Only buyers with a grant ending between `now` and `ending_by` are read (by the index on
    when grants end), not everyone who holds one: a shop's running grants may be many."""
    products = set(product_ids)
    if not products:
        return []
    joined = col(Entitlement.telegram_payment_charge_id) == col(Payment.telegram_payment_charge_id)
    running = [
        col(Payment.product_id).in_(products),
        col(Entitlement.revoked_at).is_(None),
        col(Entitlement.expires_at) > now,
    ]
    ending_soon = (
        select(Entitlement.user_id)
        .join(Payment, joined)
        .where(*running, col(Entitlement.expires_at) <= ending_by)
    )
    statement = (
        select(
            col(Payment.user_id),
            col(Payment.product_id),
            col(Payment.telegram_payment_charge_id),
            col(Payment.subscription_charge_id),
        )
        .add_columns(func.max(Entitlement.expires_at))  # select() takes at most four
        .join(Entitlement, joined)
        .where(*running, col(Payment.user_id).in_(ending_soon))
        .group_by(col(Payment.id))  # one payment: PostgreSQL allows its other columns
    )
    rows = await session.exec(statement)  # type: ignore[call-overload]  # five columns
    latest: dict[tuple[int, str], PaidPeriod] = {}
    for user_id, product_id, charge_id, subscription_charge_id, end in rows.all():
        assert end is not None  # only periods with an end are selected
        known = latest.get((user_id, product_id))
        if known is None or end > known.expires_at:
            latest[user_id, product_id] = PaidPeriod(
                user_id, product_id, charge_id, subscription_charge_id, end
            )
    return [period for period in latest.values() if period.expires_at <= ending_by]
