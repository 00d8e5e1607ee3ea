"""What the inbox must store whatever an update holds: one it cannot store does not hold up the
others, and an update_id Telegram gives out again is a new update when its content is new."""

from __future__ import annotations

import json

from sqlmodel import col, select

from entitlements import has
from storage import InboxStatus, InboxUpdate
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


async def test_an_update_id_telegram_gives_out_again_is_a_new_update_when_its_content_is_new(
    emulator, shop
):
    user = emulator.user("Ida")
    first = [emulator.send_text(user, "/help") for _ in range(3)]
    await wait_handled(shop, *first)
    await emulator.wait_confirmed(first[-1])

    # A quiet week later, Telegram starts update_id again, here where it started before: below
    # the bot's offset, and meeting the rows it keeps.
    emulator.restart_update_ids(first[0])
    since = emulator.mark()
    again = emulator.send_text(user, "/terms")
    terms = await emulator.wait_for_message(user.id, since=since)
    assert again == first[0]
    assert "terms" in terms["text"].lower()
    await wait_handled(shop, again)
    assert await say(emulator, user, "/help")  # and the ids after it go on as usual

    async with shop.sessions() as session:
        statement = select(InboxUpdate).where(InboxUpdate.update_id == first[0])
        statement = statement.order_by(col(InboxUpdate.id))
        rows = (await session.exec(statement)).all()
    assert [json.loads(row.raw)["message"]["text"] for row in rows] == ["/help", "/terms"]
    assert all(row.status == InboxStatus.DONE for row in rows)
