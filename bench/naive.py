"""The naive baseline for storing payments: one AsyncSession and one commit per payment.

Same dedupe (unique charge id, insert or nothing), same grants, same confirmation in the outbox
and the same audit row as the shop bot's `PaymentRecorder`; only the group commit and the
batching are missing. Kept here so that `make bench` measures the writer against it.
"""

from __future__ import annotations

import json

from bot import texts
from bot.catalog import Catalog
from bot.services.offers import PayloadSigner
from bot.services.ownership import holdings_of, owns
from bot.services.payments import PaymentFacts
from entitlements import grant_for_charge
from storage import (
    AuditRepository,
    OutboxPriority,
    OutboxRepository,
    Payment,
    PaymentRepository,
    SessionFactory,
    utcnow,
)


async def record_payment_naively(
    sessions: SessionFactory, catalog: Catalog, signer: PayloadSigner, facts: PaymentFacts
) -> bool:
    """Store one payment in its own transaction; False when it was stored already."""
    async with sessions() as session:
        offer = signer.decode(facts.invoice_payload)
        product = catalog.get(offer.product_id) if offer else None
        charge_id = facts.telegram_payment_charge_id
        payment = Payment(
            telegram_payment_charge_id=charge_id,
            user_id=facts.user_id,
            product_id=offer.product_id if offer else "",
            total_amount=facts.total_amount,
            currency=facts.currency,
            invoice_payload=facts.invoice_payload,
            paid_at=facts.paid_at,
            recorded_at=utcnow(),
        )
        recorded = await PaymentRepository(session).add(payment)
        if recorded and product is not None:
            outbox = OutboxRepository(session)
            holdings = await holdings_of(session, [facts.user_id], [product])
            if owns(product, holdings[facts.user_id]):
                text = texts.payment_already_owned(product, charge_id)
            else:
                granted = await grant_for_charge(
                    session,
                    user_id=facts.user_id,
                    charge_id=charge_id,
                    keys=product.grants,
                    duration=product.duration,
                )
                text = texts.payment_confirmation(product, granted, charge_id)
            await outbox.queue(
                facts.user_id,
                text,
                priority=OutboxPriority.PAYMENT_NOTICE,
                dedupe_key=f"payment:{charge_id}",
            )
        AuditRepository(session).add(
            "successful_payment",
            json.dumps(facts.__dict__, default=str),
            user_id=facts.user_id,
            telegram_payment_charge_id=charge_id,
            decision="recorded" if recorded else "duplicate",
        )
        await session.commit()
        return recorded
