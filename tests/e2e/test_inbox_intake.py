"""What the inbox must store whatever an update holds: one it cannot store does not hold up the
others, and an update_id Telegram gives out again is a new update when its content is new."""

from __future__ import annotations

import json

from entitlements import has
from storage import InboxStatus
from tests.helpers import request_invoice, say, status_becomes, wait_handled

# A lone surrogate: valid JSON (Telegram may send it), not valid UTF-8, so no database stores it.
UNSTORABLE_TEXT = "broken \ud800 text"


async def test_an_update_that_cannot_be_stored_is_parked_and_the_rest_of_its_batch_goes_on(
    emulator, shop
):
    buyer = emulator.user("Una")
    other = emulator.user("Otto")
    invoice = await request_invoice(emulator, buyer, "gold")
    accepted = await emulator.pre_checkout(buyer, invoice)
    assert accepted.ok
    since = emulator.mark()

    # One batch: nothing here waits, so the bot's next getUpdates returns them all.
    before = emulator.send_text(other, "/help")
    poison = emulator.send_text(buyer, UNSTORABLE_TEXT)
    paid = emulator.complete_payment(accepted)
    after = emulator.send_text(other, "/terms")

    await emulator.wait_for_message(buyer.id, text_contains="Thank you", since=since)
    assert paid.successful_payment_update_id is not None
    await wait_handled(shop, before, paid.successful_payment_update_id, after)
    parked = await status_becomes(shop.sessions, poison, InboxStatus.FAILED)
    assert json.loads(parked.raw)["message"]["text"] == UNSTORABLE_TEXT
    assert "\\ud800" in parked.raw  # kept escaped: a copy any database stores
    async with shop.sessions() as session:
        assert await has(session, buyer.id, "gold")

    # And what comes later is handled as usual.
    await say(emulator, other, "/help")
    await emulator.wait_confirmed(poison)
