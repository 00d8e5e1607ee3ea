"""Recording a refund and revoking what the refunded payment granted, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from loguru import logger

from bot import texts
from bot.catalog import Catalog
from bot.services.retry import with_db_retry
from entitlements import revoke_for_charge
from storage import (
    AuditRepository,
    OutboxRepository,
    Payment,
    PaymentRepository,
    Refund,
    RefundRepository,
    SessionFactory,
    utcnow,
)


class RefundStatus(StrEnum):
    RECORDED = "recorded"  # this call recorded the refund and revoked access
    ALREADY_RECORDED = "already_recorded"  # another path got there first; nothing changed
    UNKNOWN_PAYMENT = "unknown_payment"  # no payment with that charge id


@dataclass(frozen=True)
class RefundOutcome:
    status: RefundStatus
    payment: Payment | None
    refund: Refund | None  # the stored refund (this call's or the earlier one)
    revoked: int = 0


async def record_refund(
    sessions: SessionFactory,
    catalog: Catalog,
    telegram_payment_charge_id: str,
    *,
    source: str,
    admin_id: int | None = None,
    reason: str | None = None,
    raw: dict[str, Any] | None = None,
) -> RefundOutcome:
    """Store the refund once, revoke the charge's entitlements and owe the buyer a notice.

    Harmless when called again or from another path (admin, refunded_payment, reconciliation):
    only the first records, revokes and notifies.
    """

    async def step() -> RefundOutcome:
        async with sessions() as session:
            outcome = await _record(
                session, catalog, telegram_payment_charge_id, source, admin_id, reason
            )
            AuditRepository(session).add(
                f"refund_{source}",
                raw or {"telegram_payment_charge_id": telegram_payment_charge_id},
                user_id=outcome.payment.user_id if outcome.payment else None,
                telegram_payment_charge_id=telegram_payment_charge_id,
                decision=outcome.status.value,
                reason=reason,
            )
            await session.commit()
            return outcome

    outcome = await with_db_retry(step, what=f"record refund {telegram_payment_charge_id}")
    logger.info(
        "refund {} charge={} source={} admin={} revoked={}",
        outcome.status, telegram_payment_charge_id, source, admin_id, outcome.revoked,
    )
    return outcome


async def _record(
    session: Any,
    catalog: Catalog,
    charge_id: str,
    source: str,
    admin_id: int | None,
    reason: str | None,
) -> RefundOutcome:
    payment = await PaymentRepository(session).get(charge_id)
    if payment is None:
        return RefundOutcome(RefundStatus.UNKNOWN_PAYMENT, None, None)
    refunds = RefundRepository(session)
    refund = Refund(
        telegram_payment_charge_id=charge_id,
        user_id=payment.user_id,
        total_amount=payment.total_amount,
        source=source,
        admin_id=admin_id,
        reason=reason,
        refunded_at=utcnow(),
    )
    if not await refunds.add(refund):
        return RefundOutcome(RefundStatus.ALREADY_RECORDED, payment, await refunds.get(charge_id))
    revoked = await revoke_for_charge(session, charge_id)
    product = catalog.get(payment.product_id)
    await OutboxRepository(session).queue(
        payment.user_id,
        texts.refund_notice(payment, product),
        dedupe_key=f"refund:{charge_id}",
    )
    return RefundOutcome(RefundStatus.RECORDED, payment, refund, revoked)
