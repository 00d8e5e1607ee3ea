"""A failing database: payments wait in the inbox, updates stay with Telegram, none is lost."""

from __future__ import annotations

import asyncio
import threading

from bot import texts
from emulator import Fault
from entitlements import has
from storage import PaymentRepository
from tests.helpers import (
    buy,
    eventually,
    hold_write_lock,
    inbox_rows,
    raw_sql,
    request_invoice,
    sqlite_only,
    wait_handled,
)


async def test_payment_that_cannot_be_stored_waits_in_the_inbox_until_it_can(
    emulator, shop, database_url
):
    buyer = emulator.user("Vera")
    invoice = await request_invoice(emulator, buyer, "gold")
    await raw_sql(database_url, "ALTER TABLE payments RENAME TO payments_away")
    polls_before = len(emulator.calls("getUpdates"))
    result = await emulator.pay(buyer, invoice)
    assert result.ok and result.successful_payment_update_id is not None
    update_id = result.successful_payment_update_id

    # The handler retries the transaction for about 4 s, then the inbox keeps the update and
    # hands it over again later. Telegram is told it arrived, and polling waits in a long poll.
    async def failed_once():
        rows = await inbox_rows(shop, update_id)
        return update_id in rows and rows[update_id].attempts >= 1

    await eventually(failed_once, timeout=30)
    assert emulator.confirmed_offset > update_id
    assert len(emulator.calls("getUpdates")) - polls_before <= 5  # no busy loop
    async with shop.sessions() as session:
        assert not await has(session, buyer.id, "gold")

    await raw_sql(database_url, "ALTER TABLE payments_away RENAME TO payments")
    await emulator.wait_for_message(buyer.id, text_contains="Thank you", timeout=30)
    await wait_handled(shop, update_id)
    async with shop.sessions() as session:
        payment = await PaymentRepository(session).get(result.charge_id or "")
        assert payment is not None and payment.user_id == buyer.id
        assert await has(session, buyer.id, "gold")
    assert emulator.deliveries[update_id] == 1


@sqlite_only
async def test_updates_the_inbox_cannot_store_stay_unconfirmed_and_pre_checkouts_answered(
    emulator, shop, db_path
):
    buyer = emulator.user("Wynn")
    invoice = await request_invoice(emulator, buyer, "gold")
    release, locked = threading.Event(), threading.Event()
    holder = asyncio.ensure_future(asyncio.to_thread(hold_write_lock, db_path, release, locked))
    await asyncio.to_thread(locked.wait, 10)
    try:
        asker = emulator.user("Xia")
        update_id = emulator.send_text(asker, "/help")
        # Readers never wait for the writer: the buyer is answered while nothing can be stored.
        result = await emulator.pay(buyer, invoice)
        assert result.ok and result.successful_payment_update_id is not None
        await eventually(
            lambda: asyncio.sleep(0, result=emulator.deliveries[update_id] >= 2), timeout=30
        )
        assert emulator.confirmed_offset <= update_id  # Telegram still holds it
    finally:
        release.set()
        await holder
    await emulator.wait_for_message(asker.id, text_contains="/shop", timeout=30)
    await emulator.wait_for_message(buyer.id, text_contains="Thank you", timeout=30)
    await wait_handled(shop, update_id, result.successful_payment_update_id)
    assert len(emulator.calls("answerPreCheckoutQuery")) == 1


async def test_a_command_that_fails_gets_an_apology_not_a_traceback(emulator, shop, database_url):
    buyer = emulator.user("Walt")
    await raw_sql(database_url, "ALTER TABLE entitlements RENAME TO entitlements_away")
    try:
        update_id = emulator.send_text(buyer, "/mypurchases")
        reply = await emulator.wait_for_message(buyer.id)
        await wait_handled(shop, update_id)  # a failed command is answered, not retried
    finally:
        await raw_sql(database_url, "ALTER TABLE entitlements_away RENAME TO entitlements")
    assert reply["text"] == texts.apology()
    assert "Traceback" not in reply["text"]


async def test_outbox_survives_an_unexpected_telegram_error_and_keeps_sending(emulator, shop):
    first, second = emulator.user("Xia"), emulator.user("Yan")
    emulator.inject("sendMessage", Fault(status=404, description="Not Found"))
    await buy(emulator, first, "gold")  # waits for the confirmation, sent again after back-off
    await buy(emulator, second, "gold")
    faulted = [r for r in emulator.calls("sendMessage") if r.fault]
    assert len(faulted) == 1 and faulted[0].params["chat_id"] == first.id
