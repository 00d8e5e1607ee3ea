"""Payments stored in batches come out as they would one after another."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG
from bot.services.offers import PayloadSigner
from bot.services.payments import PaymentFacts, PaymentRecorder, PaymentSource
from entitlements import list_active
from storage import AuditEvent, Entitlement, OutboxMessage, Payment

SIGNER = PayloadSigner("1:test-secret")
ADMINS = (901, 902)


@pytest.fixture
def recorder(writer, languages) -> PaymentRecorder:
    catalog = load_catalog(DEFAULT_CATALOG)
    return PaymentRecorder(writer, catalog, SIGNER, ADMINS, languages=languages)


def facts(charge_id: str, user_id: int = 7, product: str = "gold", price: int = 25):
    return PaymentFacts(
        user_id=user_id,
        telegram_payment_charge_id=charge_id,
        total_amount=price,
        currency="XTR",
        invoice_payload=SIGNER.encode(product, price),
    )


async def rows(sessions, model):
    async with sessions() as session:
        return (await session.exec(select(model))).all()


async def test_a_batch_with_the_same_charge_twice_stores_it_once(sessions, recorder):
    first, second = await asyncio.gather(
        recorder.record(facts("stx1")), recorder.record(facts("stx1"))
    )
    assert [first.recorded, second.recorded] == [True, False]
    assert [p.telegram_payment_charge_id for p in await rows(sessions, Payment)] == ["stx1"]
    assert len(await rows(sessions, Entitlement)) == 1
    assert len(await rows(sessions, OutboxMessage)) == 1
    audit = await rows(sessions, AuditEvent)
    assert sorted(e.decision or "" for e in audit) == ["duplicate", "recorded"]


async def test_two_payments_for_one_one_time_product_grant_once_and_refer_the_second(
    sessions, recorder
):
    first, second = await asyncio.gather(
        recorder.record(facts("stx1")), recorder.record(facts("stx2"))
    )
    assert first.recorded and second.recorded
    assert [e.telegram_payment_charge_id for e in await rows(sessions, Entitlement)] == ["stx1"]
    owed = await rows(sessions, OutboxMessage)
    assert {m.chat_id for m in owed} == {7, *ADMINS}
    to_buyer = [m.text for m in owed if m.chat_id == 7]
    assert any("Thank you" in t for t in to_buyer)
    assert any("second payment" in t for t in to_buyer)
    assert all("/refund stx2" in m.text for m in owed if m.chat_id in ADMINS)


async def test_timed_purchases_in_one_batch_run_back_to_back(sessions, recorder):
    await asyncio.gather(
        *(recorder.record(facts(f"stx{n}", product="pro_month", price=100)) for n in range(3))
    )
    granted = {e.telegram_payment_charge_id: e for e in await rows(sessions, Entitlement)}
    ends = [granted[f"stx{n}"].expires_at for n in range(3)]
    starts = [granted[f"stx{n}"].starts_at for n in range(3)]
    assert starts[1] == ends[0] and starts[2] == ends[1]
    async with sessions() as session:
        [active] = await list_active(session, 7)
    assert active.expires_at == ends[2]


async def test_payment_for_no_product_of_ours_is_kept_and_referred(sessions, recorder):
    foreign = PaymentFacts(
        user_id=8,
        telegram_payment_charge_id="stx_foreign",
        total_amount=10,
        currency="XTR",
        invoice_payload="not-ours",
    )
    outcome = await recorder.record(foreign, source=PaymentSource.RECONCILE)
    assert outcome.recorded and outcome.product is None
    assert await rows(sessions, Entitlement) == []
    [payment] = await rows(sessions, Payment)
    assert (payment.product_id, payment.source) == ("", "reconcile")
    assert {m.chat_id for m in await rows(sessions, OutboxMessage)} == {8, *ADMINS}
    assert [e.kind for e in await rows(sessions, AuditEvent)] == ["payment_reconcile"]
