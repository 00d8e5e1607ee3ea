"""/paysupport end to end: the buyer's one-message request reaches every admin, whose Refund
button refunds after a confirmation, and only for admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Update
from sqlalchemy import update
from sqlmodel import col, select

from bot import texts
from bot.catalog import load_catalog
from bot.dispatcher import create_dispatcher
from bot.services.container import create_services
from bot.telegram import create_bot
from emulator import BotAPIEmulator, User
from entitlements import has
from storage import (
    OutboxMessage,
    PaymentRepository,
    RefundRepository,
    SupportRepository,
    SupportRequest,
    utcnow,
)
from tests.helpers import ADMIN_ID, SECOND_ADMIN_ID, buy, say, wait_handled

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")
REQUEST_HEAD = "Payment support request"
REFUND_NOTICE = "was refunded to your Stars balance"


def buttons(message: dict) -> list[tuple[str, str]]:
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in keyboard for b in row]


async def payment_id(shop, charge_id: str | None) -> int:
    assert charge_id is not None
    async with shop.sessions() as session:
        payment = await PaymentRepository(session).get(charge_id)
    assert payment is not None and payment.id is not None
    return payment.id


async def holds(shop, user_id: int, key: str) -> bool:
    async with shop.sessions() as session:
        return await has(session, user_id, key)


async def owed_to(shop, chat_id: int) -> list[str]:
    async with shop.sessions() as session:
        owed = select(OutboxMessage.text).where(OutboxMessage.chat_id == chat_id)
        return list((await session.exec(owed.order_by(col(OutboxMessage.id)))).all())


async def ask_for_help(emu: BotAPIEmulator, buyer: User, description: str) -> dict:
    """The buyer's /paysupport conversation; returns the request as the first admin got it."""
    prompt = await say(emu, buyer, "/paysupport")
    assert "Describe the problem in one message" in prompt["text"]
    since = emu.mark()
    sent = await say(emu, buyer, description)
    assert sent["text"] == texts.support_sent()
    return await emu.wait_for_message(ADMIN_ID, text_contains=REQUEST_HEAD, since=since)


async def test_paysupport_forwards_the_request_to_every_admin_with_the_buyers_payments(
    emulator, shop
):
    buyer = emulator.user("Ann", username="ann_buys")
    gold = await buy(emulator, buyer, "gold")
    pro = await buy(emulator, buyer, "pro_month")
    update_id = emulator.refund_outside_bot(gold.charge_id)
    assert update_id is not None
    await wait_handled(shop, update_id)
    await emulator.wait_for_message(buyer.id, text_contains="was refunded")  # owed, then sent

    prompt = await say(emulator, buyer, "/paysupport")
    assert prompt["text"].startswith("Problem with a payment?")  # settings.paysupport_text
    assert buttons(prompt) == [("Cancel", "support:cancel")]
    since = emulator.mark()
    sent = await say(emulator, buyer, "Pro tools <do not> work & I paid")
    assert "went to a person" in sent["text"]

    for admin_id in (ADMIN_ID, SECOND_ADMIN_ID):
        request = await emulator.wait_for_message(
            admin_id, text_contains=REQUEST_HEAD, since=since
        )
        text = request["text"]
        assert "Pro tools <do not> work & I paid" in text
        assert f"user id {buyer.id}" in text and "@ann_buys" in text
        assert "Gold badge, 25 ⭐" in text and "Pro, 30 days, 100 ⭐" in text
        assert gold.charge_id in text and pro.charge_id in text
        assert "not refunded" in text and ", refunded " in text
        # Only the payment that is not refunded yet gets a button; data fits in 64 bytes.
        [(label, data)] = buttons(request)
        assert label.startswith("Refund Pro, 30 days, 100 ⭐")
        assert data == f"adm:ask:{await payment_id(shop, pro.charge_id)}"
        assert len(data.encode()) <= 64
    assert len(await owed_to(shop, ADMIN_ID)) == 1


async def test_paysupport_and_the_description_sent_at_once_are_handled_in_order(emulator, shop):
    buyers = [emulator.user(f"Quick {n}") for n in range(10)]
    since = emulator.mark()
    for n, buyer in enumerate(buyers):  # both in one getUpdates batch, before any reply
        emulator.send_text(buyer, "/paysupport")
        emulator.send_text(buyer, f"charged twice, buyer {n}")
    for n, buyer in enumerate(buyers):
        await emulator.wait_for_message(buyer.id, text_contains="went to a person", since=since)
        await emulator.wait_for_message(
            ADMIN_ID, text_contains=f"charged twice, buyer {n}", since=since
        )


async def stored_request(shop, user_id: int) -> SupportRequest | None:
    async with shop.sessions() as session:
        return await SupportRepository(session).get(user_id)


async def test_ten_paysupport_requests_reach_each_admin_once_and_the_rest_is_stored(
    emulator, start_bot
):
    shop = await start_bot(flood_limit=0)  # the cooldown's test; the flood limit has its own
    buyer = emulator.user("Ann")
    await ask_for_help(emulator, buyer, "charged twice, first try")
    request = await stored_request(shop, buyer.id)
    assert request is not None and request.opened_at is not None

    for n in range(2, 11):
        again = await say(emulator, buyer, "/paysupport")
        assert again["text"] == texts.support_already_open(request.opened_at)
        assert f"from {texts.when(request.opened_at)}; a person will answer" in again["text"]
        added = await say(emulator, buyer, f"charged twice, try {n}")
        assert added["text"] == texts.support_added(request.opened_at)

    for admin_id in (ADMIN_ID, SECOND_ADMIN_ID):
        owed = [text for text in await owed_to(shop, admin_id) if REQUEST_HEAD in text]
        assert len(owed) == 1 and "charged twice, first try" in owed[0]
    stored = await stored_request(shop, buyer.id)
    assert stored is not None and stored.opened_at == request.opened_at
    assert stored.description.startswith("charged twice, first try")
    assert all(f"charged twice, try {n}" in stored.description for n in range(2, 11))
    assert stored.asked_at is None


async def test_a_request_after_the_cooldown_reaches_the_admins_again(emulator, shop):
    buyer = emulator.user("Ann")
    await ask_for_help(emulator, buyer, "first problem")
    async with shop.sessions() as session:  # the cooldown (10 minutes by default) has passed
        past = utcnow() - timedelta(minutes=11)
        await session.exec(update(SupportRequest).values(opened_at=past))
        await session.commit()

    request = await ask_for_help(emulator, buyer, "second problem")

    assert "second problem" in request["text"] and "first problem" not in request["text"]
    stored = await stored_request(shop, buyer.id)
    assert stored is not None and stored.description == "second problem"
    assert len([t for t in await owed_to(shop, ADMIN_ID) if REQUEST_HEAD in t]) == 2


async def test_paysupport_waiting_for_the_description_survives_a_restart(emulator, start_bot):
    first = await start_bot()
    buyer = emulator.user("Ann")
    prompt = await say(emulator, buyer, "/paysupport")
    assert "Describe the problem in one message" in prompt["text"]
    await first.stop()

    await start_bot()
    since = emulator.mark()
    sent = await say(emulator, buyer, "Paid, got nothing")

    assert sent["text"] == texts.support_sent()
    await emulator.wait_for_message(ADMIN_ID, text_contains="Paid, got nothing", since=since)


async def test_no_conversation_state_is_kept_in_memory_per_chat(emulator, make_settings, sessions):
    settings = make_settings()
    catalog = load_catalog(settings.catalog_path)
    bot = create_bot(settings)
    services = create_services(settings, catalog, bot)
    dispatcher = create_dispatcher(services)
    services.database.start()
    try:
        for n in range(50):
            buyer = emulator.user(f"Buyer {n}")
            message = {
                "message_id": 1,
                "date": 0,
                "chat": {"id": buyer.id, "type": "private"},
                "from": {"id": buyer.id, "is_bot": False, "first_name": buyer.first_name},
                "text": "/help",
            }
            update = Update.model_validate({"update_id": n, "message": message})
            await dispatcher.feed_update(bot, update)
    finally:
        await services.database.close()
        await bot.session.close()

    assert len(emulator.calls("sendMessage")) == 50
    # aiogram's memory storage makes a record for every chat whose state it reads.
    assert isinstance(dispatcher.storage, MemoryStorage) and len(dispatcher.storage.storage) == 0


@pytest.mark.parametrize("how", ["command", "button"])
async def test_paysupport_can_be_cancelled(emulator, shop, how):
    buyer = emulator.user("Ann")
    prompt = await say(emulator, buyer, "/paysupport")
    since = emulator.mark()

    if how == "command":
        reply = await say(emulator, buyer, "/cancel")
        assert reply["text"] == texts.support_cancelled()
    else:
        emulator.press_button(buyer, prompt, "support:cancel")
        edit = await emulator.wait_for("editMessageText", since=since)
        assert edit.params["text"] == texts.support_cancelled()

    reply = await say(emulator, buyer, "just saying hello")
    assert reply["text"] != texts.support_sent()
    assert await owed_to(shop, ADMIN_ID) == []


async def test_paysupport_wants_words_not_commands(emulator, shop):
    buyer = emulator.user("Ann")
    await say(emulator, buyer, "/paysupport")

    reply = await say(emulator, buyer, "/nonsense")

    assert reply["text"] == texts.support_words_please()
    assert await owed_to(shop, ADMIN_ID) == []


async def test_refund_button_asks_for_confirmation_then_refunds(emulator, shop):
    buyer = emulator.user("Ann")
    gold = await buy(emulator, buyer, "gold")
    request = await ask_for_help(emulator, buyer, "The badge does not show")
    [(_, ask)] = buttons(request)

    since = emulator.mark()
    emulator.press_button(ADMIN, request, ask)
    question = await emulator.wait_for_message(ADMIN_ID, text_contains="Refund 25 ⭐", since=since)
    assert "Gold badge" in question["text"] and gold.charge_id in question["text"]
    (confirm_label, confirm), (cancel_label, _) = buttons(question)
    assert (confirm_label, cancel_label) == ("Confirm refund", "Cancel")
    assert emulator.calls("refundStarPayment") == []
    assert await holds(shop, buyer.id, "gold")

    since = emulator.mark()
    emulator.press_button(ADMIN, question, confirm)
    edit = await emulator.wait_for("editMessageText", since=since)

    assert edit.params["text"].startswith("Refunded 25 ⭐")
    [call] = emulator.calls("refundStarPayment")
    assert call.ok and call.params["telegram_payment_charge_id"] == gold.charge_id
    async with shop.sessions() as session:
        refund = await RefundRepository(session).get(str(gold.charge_id))
    assert refund is not None
    assert (refund.source, refund.admin_id, refund.reason) == (
        "admin",
        ADMIN_ID,
        "support request",
    )
    assert not await holds(shop, buyer.id, "gold")
    await emulator.wait_for_message(buyer.id, text_contains=REFUND_NOTICE)


async def test_refund_button_cancelled_at_confirmation_changes_nothing(emulator, shop):
    buyer = emulator.user("Ann")
    await buy(emulator, buyer, "gold")
    request = await ask_for_help(emulator, buyer, "Never mind, probably")
    [(_, ask)] = buttons(request)
    since = emulator.mark()
    emulator.press_button(ADMIN, request, ask)
    question = await emulator.wait_for_message(ADMIN_ID, text_contains="Refund 25 ⭐", since=since)
    _, (_, cancel) = buttons(question)

    since = emulator.mark()
    emulator.press_button(ADMIN, question, cancel)
    edit = await emulator.wait_for("editMessageText", since=since)

    assert edit.params["text"] == texts.refund_cancelled()
    assert emulator.calls("refundStarPayment") == []
    assert await holds(shop, buyer.id, "gold")


@pytest.mark.parametrize("step", ["ask", "confirm"])
async def test_forged_admin_button_from_a_buyer_is_refused(emulator, shop, step):
    buyer = emulator.user("Mallory")
    gold = await buy(emulator, buyer, "gold")
    any_bot_message = emulator.sent_messages(buyer.id)[-1]
    since = emulator.mark()

    forged = f"adm:{step}:{await payment_id(shop, gold.charge_id)}"
    update_id = emulator.press_button(buyer, any_bot_message, forged, check=False)
    await wait_handled(shop, update_id)

    [answer] = [r for r in emulator.requests[since:] if r.method == "answerCallbackQuery"]
    assert answer.params["text"] == texts.not_allowed_button() and answer.params["show_alert"]
    assert emulator.calls("refundStarPayment") == []
    assert [r.method for r in emulator.requests[since:] if r.method.startswith("send")] == []
    assert await holds(shop, buyer.id, "gold")


async def test_refund_button_of_a_refunded_payment_alerts_in_plain_text_within_200(emulator, shop):
    buyer = emulator.user("Ann")
    gold = await buy(emulator, buyer, "gold")
    request = await ask_for_help(emulator, buyer, "Charged twice")
    [(_, ask)] = buttons(request)
    # Another admin refunded it meanwhile, with a long reason that has markup in it.
    reason = "<b>duplicate</b> & " + "so " * 100
    await say(emulator, ADMIN, f"/refund {gold.charge_id} {reason}")

    since = emulator.mark()
    update_id = emulator.press_button(ADMIN, request, ask)
    await wait_handled(shop, update_id)

    [answer] = [r for r in emulator.requests[since:] if r.method == "answerCallbackQuery"]
    assert answer.ok and answer.params["show_alert"]
    alert = answer.params["text"]
    assert alert.startswith("Already refunded on ") and "reason: <b>duplicate</b> & so" in alert
    assert "&lt;" not in alert and "parse_mode" not in answer.params
    assert len(alert) <= 200 and alert.endswith("Nothing was done.")
    assert len(emulator.calls("refundStarPayment")) == 1
