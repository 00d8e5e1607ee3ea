"""The per-user flood limit end to end: one answer, then silence; payments always go through."""

from __future__ import annotations

from bot import texts
from emulator import BotAPIEmulator, User
from storage import PaymentRepository
from tests.helpers import ADMIN_ID, inbox_rows, request_invoice, wait_handled

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")
# A window and pause no test run outlasts: the counting does not depend on the machine's speed.
SLOW_CLOCK = {"flood_window": 600, "flood_pause": 600}


def texts_to(emulator: BotAPIEmulator, chat_id: int, since: int) -> list[str]:
    return [
        r.params["text"]
        for r in emulator.requests[since:]
        if r.method == "sendMessage" and r.params["chat_id"] == chat_id
    ]


async def test_a_flood_is_answered_once_then_ignored_and_a_payment_in_it_goes_through(
    emulator, start_bot
):
    shop = await start_bot(flood_limit=5, **SLOW_CLOCK)
    buyer = emulator.user("Flo")
    invoice = await request_invoice(emulator, buyer, "gold")  # the 1st of 5 counted
    accepted = await emulator.pre_checkout(buyer, invoice)  # never counted
    assert accepted.ok
    since = emulator.mark()

    flood = [emulator.send_text(buyer, f"spam {n}") for n in range(10)]
    paid = emulator.complete_payment(accepted)  # the payment arrives in the middle of it
    flood += [emulator.send_text(buyer, f"spam {n}") for n in range(10, 30)]
    assert paid.successful_payment_update_id is not None
    await wait_handled(shop, paid.successful_payment_update_id, *flood)
    await emulator.wait_for_message(buyer.id, text_contains="Thank you", since=since)

    answers = texts_to(emulator, buyer.id, since)
    assert answers.count(texts.flood_warning(600)) == 1
    # 4 more updates passed: each got the usual answer; the 25 after the warning got nothing.
    assert len([a for a in answers if a.startswith("Send /shop")]) == 4
    assert len(answers) == 4 + 1 + 1  # and the payment's confirmation
    async with shop.sessions() as session:
        assert await PaymentRepository(session).get(str(paid.charge_id)) is not None


async def test_a_pressed_button_over_the_limit_gets_the_warning_as_its_answer(emulator, start_bot):
    await start_bot(flood_limit=1, **SLOW_CLOCK)
    buyer = emulator.user("Flo")
    since = emulator.mark()
    emulator.send_text(buyer, "/shop")
    shop_message = await emulator.wait_for_message(buyer.id, since=since)
    button = shop_message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    emulator.press_button(buyer, shop_message, button)
    answer = await emulator.wait_for("answerCallbackQuery", since=since)

    assert answer.params["text"] == texts.flood_warning(600)
    assert [r for r in emulator.requests[since:] if r.method == "sendInvoice"] == []


async def test_admins_are_not_limited(emulator, start_bot):
    shop = await start_bot(flood_limit=2, **SLOW_CLOCK)
    since = emulator.mark()
    sent = [emulator.send_text(ADMIN, "/help") for _ in range(8)]
    await wait_handled(shop, *sent)
    assert len(texts_to(emulator, ADMIN_ID, since)) == 8


async def test_a_flood_of_big_messages_leaves_only_small_rows_in_the_inbox(emulator, start_bot):
    shop = await start_bot(flood_limit=5, **SLOW_CLOCK)
    flooder = emulator.user("Flo")
    flood = [emulator.send_text(flooder, f"{n} " + "x" * 4090) for n in range(30)]
    await wait_handled(shop, *flood)

    rows = await inbox_rows(shop, *flood)
    big = [update_id for update_id, row in rows.items() if len(row.raw) > 1000]
    # Only the 5 the limit let through keep their text; the rest is known handled, no more.
    assert big == flood[:5]
    assert all(row.raw == "{}" for update_id, row in rows.items() if update_id not in big)
