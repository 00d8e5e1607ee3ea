"""Recording a Stars payment and granting what it bought, in one transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog, Product, ProductKind
from bot.services.offers import PayloadSigner
from bot.services.retry import with_db_retry
from entitlements import grant_for_charge, has_all
from storage import (
    AuditRepository,
    Entitlement,
    OutboxRepository,
    Payment,
    PaymentRepository,
    SessionFactory,
    utcnow,
)


@dataclass(frozen=True)
class PaymentFacts:
    """A payment as Telegram reported it (a successful_payment, or a Star transaction)."""

    user_id: int
    telegram_payment_charge_id: str
    total_amount: int
    currency: str
    invoice_payload: str
    provider_payment_charge_id: str | None = None
    paid_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class PaymentOutcome:
    recorded: bool  # False: this charge was already stored, nothing changed
    product: Product | None
    granted: tuple[Entitlement, ...] = ()


async def record_payment(
    sessions: SessionFactory,
    catalog: Catalog,
    signer: PayloadSigner,
    facts: PaymentFacts,
    *,
    admin_ids: Collection[int] = (),
    raw: dict[str, Any] | None = None,
    source: str = "update",
) -> PaymentOutcome:
    """Store the payment once, grant its product and owe the buyer a confirmation.

    All in one transaction, unique on telegram_payment_charge_id: the same payment recorded
    again changes nothing and queues nothing. Retries while the database is locked.
    """

    async def step() -> PaymentOutcome:
        async with sessions() as session:
            outcome = await _store_payment_and_grant(
                session, catalog, signer, facts, admin_ids, source
            )
            AuditRepository(session).add(
                "successful_payment" if source == "update" else f"payment_{source}",
                raw or facts.__dict__,
                user_id=facts.user_id,
                telegram_payment_charge_id=facts.telegram_payment_charge_id,
                decision="recorded" if outcome.recorded else "duplicate",
            )
            await session.commit()
            return outcome

    outcome = await with_db_retry(step, what=f"record payment {facts.telegram_payment_charge_id}")
    logger.info(
        "payment {} charge={} user={} product={} amount={} {} source={}",
        "recorded" if outcome.recorded else "duplicate ignored",
        facts.telegram_payment_charge_id,
        facts.user_id,
        outcome.product.id if outcome.product else None,
        facts.total_amount,
        facts.currency,
        source,
    )
    return outcome


async def _store_payment_and_grant(
    session: AsyncSession,
    catalog: Catalog,
    signer: PayloadSigner,
    facts: PaymentFacts,
    admin_ids: Collection[int],
    source: str,
) -> PaymentOutcome:
    offer = signer.decode(facts.invoice_payload)
    product = catalog.get(offer.product_id) if offer else None
    payment = Payment(
        telegram_payment_charge_id=facts.telegram_payment_charge_id,
        provider_payment_charge_id=facts.provider_payment_charge_id,
        user_id=facts.user_id,
        product_id=offer.product_id if offer else "",
        total_amount=facts.total_amount,
        currency=facts.currency,
        invoice_payload=facts.invoice_payload,
        source=source,
        paid_at=facts.paid_at,
        recorded_at=utcnow(),
    )
    if not await PaymentRepository(session).add(payment):
        return PaymentOutcome(recorded=False, product=product)
    outbox = OutboxRepository(session)
    charge_id = facts.telegram_payment_charge_id
    if product is None:
        # The money is taken but we cannot tell what for: keep it, tell the buyer and a person.
        await _refer_to_a_person(
            outbox,
            payment,
            admin_ids,
            texts.payment_without_product(facts.total_amount, charge_id),
            texts.admin_payment_without_product(facts.user_id, payment),
        )
        return PaymentOutcome(recorded=True, product=None)
    if product.kind is ProductKind.ONE_TIME and await has_all(
        session, facts.user_id, product.grants
    ):
        # Two invoices paid back to back both passed pre-checkout before either was stored:
        # the second buys nothing, so a person refunds it.
        await _refer_to_a_person(
            outbox,
            payment,
            admin_ids,
            texts.payment_already_owned(product, charge_id),
            texts.admin_payment_already_owned(payment, product),
        )
        return PaymentOutcome(recorded=True, product=product)
    granted = await grant_for_charge(
        session,
        user_id=facts.user_id,
        charge_id=charge_id,
        keys=product.grants,
        duration=product.duration,
    )
    text = texts.payment_confirmation(product, granted, charge_id, recovered=source != "update")
    await outbox.queue(facts.user_id, text, dedupe_key=f"payment:{charge_id}")
    return PaymentOutcome(recorded=True, product=product, granted=tuple(granted))


async def _refer_to_a_person(
    outbox: OutboxRepository,
    payment: Payment,
    admin_ids: Collection[int],
    to_buyer: str,
    to_admins: str,
) -> None:
    """A payment that granted nothing: tell the buyer, and every admin how to refund it."""
    charge_id = payment.telegram_payment_charge_id
    await outbox.queue(payment.user_id, to_buyer, dedupe_key=f"payment:{charge_id}")
    for admin_id in admin_ids:
        await outbox.queue(admin_id, to_admins, dedupe_key=f"payment-alert:{charge_id}:{admin_id}")
