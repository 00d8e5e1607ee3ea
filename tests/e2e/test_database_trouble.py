"""A failing database during successful_payment: retried, left unconfirmed, never lost."""

from __future__ import annotations

from bot.dispatcher import APOLOGY
from entitlements import has
from storage import PaymentRepository
from tests.e2e.conftest import buy, eventually, raw_sql, request_invoice
from tests.emulator import Fault


async def test_payment_that_cannot_be_stored_stays_unconfirmed_until_it_can(
    emulator, shop, db_path
):
    buyer = emulator.user("Vera")
    invoice = await request_invoice(emulator, buyer, "gold")
    await raw_sql(db_path, "ALTER TABLE payments RENAME TO payments_away")
    failures_before = len(emulator.calls("getUpdates"))
    result = await emulator.pay(buyer, invoice)
    assert result.ok and result.successful_payment_update_id is not None
    update_id = result.successful_payment_update_id

    # The bot retries the transaction for about 4 s, then gives the update back to Telegram
    # (unconfirmed) and takes it again later. Polling goes on meanwhile, ten times a second.
    await emulator.wait_for("getUpdates", count=failures_before + 60, answered=False, timeout=30)
    assert emulator.confirmed_offset <= update_id
    async with shop.sessions() as session:
        assert not await has(session, buyer.id, "gold")

    await raw_sql(db_path, "ALTER TABLE payments_away RENAME TO payments")
    await emulator.wait_confirmed(update_id, timeout=30)
    await emulator.wait_for_message(buyer.id, text_contains="Thank you")

    async def stored():
        async with shop.sessions() as session:
            return await PaymentRepository(session).get(result.charge_id or "")

    payment = await eventually(stored)
    assert payment.user_id == buyer.id
    async with shop.sessions() as session:
        assert await has(session, buyer.id, "gold")


async def test_a_command_that_fails_gets_an_apology_not_a_traceback(emulator, shop, db_path):
    buyer = emulator.user("Walt")
    await raw_sql(db_path, "ALTER TABLE entitlements RENAME TO entitlements_away")
    try:
        update_id = emulator.send_text(buyer, "/mypurchases")
        reply = await emulator.wait_for_message(buyer.id)
        await emulator.wait_confirmed(update_id)  # a failed command is not retried
    finally:
        await raw_sql(db_path, "ALTER TABLE entitlements_away RENAME TO entitlements")
    assert reply["text"] == APOLOGY
    assert "Traceback" not in reply["text"]


async def test_outbox_survives_an_unexpected_telegram_error_and_keeps_sending(emulator, shop):
    first, second = emulator.user("Xia"), emulator.user("Yan")
    emulator.inject("sendMessage", Fault(status=404, description="Not Found"))
    await buy(emulator, first, "gold")  # waits for the confirmation, sent again after back-off
    await buy(emulator, second, "gold")
    faulted = [r for r in emulator.calls("sendMessage") if r.fault]
    assert len(faulted) == 1 and faulted[0].params["chat_id"] == first.id
