"""Pre-checkout: always answered in time; refused, with a message to act on, when it must be."""

from __future__ import annotations

import asyncio
import threading

from bot import texts
from bot.outcomes import Refusal
from bot.services.offers import PayloadSigner
from emulator import Fault
from entitlements import has
from storage import AuditRepository, PaymentRepository
from tests.helpers import buy, eventually, hold_write_lock, raw_sql, request_invoice, sqlite_only


async def audited(shop, decision: str | None = None):
    async with shop.sessions() as session:
        events = await AuditRepository(session).list("pre_checkout_query")
    return [event for event in events if decision in (None, event.decision)]


async def refused(emulator, shop, buyer, reason: Refusal, result) -> None:
    assert not result.ok
    assert result.error_message == texts.refusal_message(reason)
    assert result.charge_id is None  # no money taken

    # The audit row is written after the answer, so wait for the refusal itself: a bundle test
    # has an earlier "accepted" row that must not stand in for it.
    [decision] = await eventually(lambda: audited(shop, "refused"))
    async with shop.sessions() as session:
        assert await PaymentRepository(session).count() == 0 or reason is Refusal.ALREADY_OWNED
    assert decision.reason == reason.value
    assert decision.user_id == buyer.id


async def test_foreign_payload_is_refused(emulator, shop):
    buyer = emulator.user("Kim")
    invoice = await request_invoice(emulator, buyer, "gold")
    result = await emulator.pay(buyer, invoice, payload="someone-elses-invoice:gold:25")
    await refused(emulator, shop, buyer, Refusal.FOREIGN_PAYLOAD, result)


async def test_payload_signed_by_another_bot_is_refused(emulator, shop):
    buyer = emulator.user("Lou")
    invoice = await request_invoice(emulator, buyer, "gold")
    forged = PayloadSigner("999:another-bot").encode("gold", 25)
    result = await emulator.pay(buyer, invoice, payload=forged)
    await refused(emulator, shop, buyer, Refusal.FOREIGN_PAYLOAD, result)


async def test_amount_other_than_the_invoice_is_refused(emulator, shop):
    buyer = emulator.user("Max")
    invoice = await request_invoice(emulator, buyer, "gold")
    result = await emulator.pay(buyer, invoice, total_amount=1)
    await refused(emulator, shop, buyer, Refusal.AMOUNT_MISMATCH, result)


async def test_currency_other_than_stars_is_refused(emulator, shop):
    buyer = emulator.user("Ned")
    invoice = await request_invoice(emulator, buyer, "gold")
    result = await emulator.pay(buyer, invoice, currency="USD")
    await refused(emulator, shop, buyer, Refusal.WRONG_CURRENCY, result)


async def test_price_changed_since_the_invoice_is_refused(emulator, shop):
    buyer = emulator.user("Oda")
    invoice = await request_invoice(emulator, buyer, "gold")
    old_price = PayloadSigner(emulator.token).encode("gold", 20)
    result = await emulator.pay(buyer, invoice, payload=old_price, total_amount=20)
    await refused(emulator, shop, buyer, Refusal.PRICE_CHANGED, result)


async def test_product_removed_from_the_catalog_is_refused(emulator, shop):
    buyer = emulator.user("Pia")
    invoice = await request_invoice(emulator, buyer, "gold")
    removed = PayloadSigner(emulator.token).encode("retired_item", 25)
    result = await emulator.pay(buyer, invoice, payload=removed)
    await refused(emulator, shop, buyer, Refusal.PRODUCT_GONE, result)


async def test_paying_an_old_invoice_for_an_owned_product_is_refused(emulator, shop):
    buyer = emulator.user("Quin")
    spare_invoice = await request_invoice(emulator, buyer, "gold")
    await buy(emulator, buyer, "gold")
    result = await emulator.pay(buyer, spare_invoice)
    await refused(emulator, shop, buyer, Refusal.ALREADY_OWNED, result)
    async with shop.sessions() as session:
        assert await PaymentRepository(session).count() == 1


async def test_owning_a_key_through_a_bundle_counts_as_owning_the_product(emulator, shop):
    buyer = emulator.user("Rae")
    gold_invoice = await request_invoice(emulator, buyer, "gold")
    await buy(emulator, buyer, "supporter")  # grants supporter and gold
    result = await emulator.pay(buyer, gold_invoice)
    await refused(emulator, shop, buyer, Refusal.ALREADY_OWNED, result)


async def test_accepted_pre_checkout_is_audited(emulator, shop):
    buyer = emulator.user("Sol")
    await buy(emulator, buyer, "gold")

    [decision] = await eventually(lambda: audited(shop))
    assert (decision.decision, decision.reason, decision.user_id) == ("accepted", None, buyer.id)
    assert '"invoice_payload"' in decision.raw


@sqlite_only
async def test_pre_checkout_is_answered_while_another_writer_holds_the_lock(
    emulator, shop, db_path
):
    buyer = emulator.user("Tia")
    invoice = await request_invoice(emulator, buyer, "gold")
    release, locked = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(db_path, release, locked))
    holder.start()
    try:
        await asyncio.to_thread(locked.wait, 5)
        result = await emulator.pay(buyer, invoice)
        assert result.ok  # readers never wait for a writer (WAL)
    finally:
        release.set()
        await asyncio.to_thread(holder.join)
    # The payment itself waited for the lock, and was recorded once it was free.
    await emulator.wait_for_message(buyer.id, text_contains="Thank you", timeout=20)
    async with shop.sessions() as session:
        assert await has(session, buyer.id, "gold")


async def test_failing_database_refuses_as_temporary_instead_of_staying_silent(
    emulator, shop, database_url
):
    buyer = emulator.user("Uli")
    invoice = await request_invoice(emulator, buyer, "gold")
    await raw_sql(database_url, "ALTER TABLE entitlements RENAME TO entitlements_away")
    try:
        result = await emulator.pay(buyer, invoice)
    finally:
        await raw_sql(database_url, "ALTER TABLE entitlements_away RENAME TO entitlements")
    assert not result.ok
    assert result.error_message == texts.refusal_message(Refusal.TEMPORARY)
    assert emulator.unanswered_pre_checkouts == []
    retry = await emulator.pay(buyer, invoice)  # the database is back: the same invoice works
    assert retry.ok
    await emulator.wait_for_message(buyer.id, text_contains="Thank you")


async def test_answer_that_fails_with_5xx_or_a_502_page_is_sent_again_in_time(emulator, shop):
    buyer = emulator.user("Vin")
    invoice = await request_invoice(emulator, buyer, "gold")
    emulator.inject("answerPreCheckoutQuery", Fault(status=500, description="Internal Error"))
    emulator.inject("answerPreCheckoutQuery", Fault(status=502))
    result = await emulator.pay(buyer, invoice)
    assert result.ok
    assert [r.status for r in emulator.calls("answerPreCheckoutQuery")] == [500, 502, 200]
    await emulator.wait_for_message(buyer.id, text_contains="Thank you")
