"""What a buyer has bought, for /mypurchases: access held now, subscriptions and receipts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from entitlements import ActiveEntitlement, list_active
from storage import (
    Payment,
    PaymentRepository,
    Refund,
    RefundRepository,
    SessionFactory,
    Subscription,
    SubscriptionRepository,
    utcnow,
)
from storage.repositories import StockRepository

RECEIPTS_SHOWN = 20


@dataclass(frozen=True)
class PurchaseHistory:
    """One buyer's purchases as of `as_of`, read in one snapshot."""

    as_of: datetime
    active: Sequence[ActiveEntitlement]
    subscriptions: Sequence[Subscription]
    payments: Sequence[Payment]  # the newest RECEIPTS_SHOWN
    refunds: dict[str, Refund]  # of those payments, by charge id
    codes: dict[str, str] = field(default_factory=dict)  # the codes they took, by charge id


class Purchases:
    """Reads what buyers bought."""

    def __init__(self, readers: SessionFactory) -> None:
        self.readers = readers

    async def of(self, user_id: int) -> PurchaseHistory:
        now = utcnow()
        async with self.readers() as session:
            active = await list_active(session, user_id, now=now)
            subscriptions = await SubscriptionRepository(session).list_for_user(user_id)
            payments = await PaymentRepository(session).list_for_user(
                user_id, limit=RECEIPTS_SHOWN
            )
            charge_ids = [p.telegram_payment_charge_id for p in payments]
            refunds = await RefundRepository(session).refunded_among(charge_ids)
            codes = await StockRepository(session).codes_of(charge_ids)
        return PurchaseHistory(now, active, subscriptions, payments, refunds, codes)
