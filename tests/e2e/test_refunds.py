"""Refunds end to end: an admin's /refund, Telegram's refunded_payment, and both together."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot import texts
from bot.services.offers import PayloadSigner
from emulator import BotAPIEmulator, Fault, User
from entitlements import has
from storage import AuditEvent, Entitlement, OutboxMessage, Refund, RefundRepository
from tests.helpers import ADMIN_ID, SECOND_ADMIN_ID, RunningBot, buy, say, wait_handled

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")
SECOND_ADMIN = User(id=SECOND_ADMIN_ID, first_name="Second admin", username="second_admin")
REFUND_NOTICE = "was refunded to your Stars balance"


# -- helpers --------------------------------------------------------------------------------


async def refund_of(shop, charge_id: str) -> Refund | None:
    async with shop.sessions() as session:
        return await RefundRepository(session).get(charge_id)


async def holds(shop, user_id: int, key: str) -> bool:
    async with shop.sessions() as session:
        return await has(session, user_id, key)


async def refund_notices_owed(shop, user_id: int) -> list[str]:
    """Refund notices the bot wrote to its outbox for `user_id` (sent or not)."""
    async with shop.sessions() as session:
        statement = select(OutboxMessage.text).where(OutboxMessage.chat_id == user_id)
        owed = (await session.exec(statement.order_by(col(OutboxMessage.id)))).all()
    return [text for text in owed if REFUND_NOTICE in text]


def refund_notices_sent(emu: BotAPIEmulator, user_id: int) -> list[dict]:
    return [m for m in emu.sent_messages(user_id) if REFUND_NOTICE in m.get("text", "")]


def messages_since(emu: BotAPIEmulator, since: int, chat_id: int) -> list[dict]:
    return [
        r.result
        for r in emu.requests[since:]
        if r.method == "sendMessage" and r.ok and r.result["chat"]["id"] == chat_id
    ]


def refunded_payment_updates(emu: BotAPIEmulator, charge_id: str) -> list[int]:
    """The refunded_payment updates Telegram queued for this charge."""
    return [
        update_id
        for update_id, update in emu.telegram.updates.history.items()
        if update.get("message", {}).get("refunded_payment", {}).get("telegram_payment_charge_id")
        == charge_id
    ]


async def buy_gold(emu: BotAPIEmulator, shop) -> tuple[User, str]:
    buyer = emu.user("Ann")
    paid = await buy(emu, buyer, "gold")
    assert paid.charge_id and await holds(shop, buyer.id, "gold")
    return buyer, paid.charge_id


async def admin_refund(
    emu: BotAPIEmulator, shop: RunningBot, charge_id: str, *, admin: User = ADMIN
) -> str:
    """The admin refunds `charge_id` and waits until Telegram's refunded_payment is handled."""
    reply = await say(emu, admin, f"/refund {charge_id}")
    for update_id in refunded_payment_updates(emu, charge_id):
        await wait_handled(shop, update_id)
    return reply["text"]


# -- an admin's /refund -----------------------------------------------------------------------


async def test_admin_refund_revokes_access_records_it_and_tells_admin_and_buyer(emulator, shop):
    buyer, charge_id = await buy_gold(emulator, shop)

    reply = await say(emulator, ADMIN, f"/refund {charge_id} could not use the badge")

    [call] = emulator.calls("refundStarPayment")
    assert call.ok
    assert call.params == {"user_id": buyer.id, "telegram_payment_charge_id": charge_id}
    assert emulator.charges[charge_id].refunded
    assert "Refunded 25 ⭐" in reply["text"]
    assert "Gold badge" in reply["text"] and f"user {buyer.id}" in reply["text"]
    notice = await emulator.wait_for_message(buyer.id, text_contains=REFUND_NOTICE)
    assert "Gold badge" in notice["text"] and "access it gave has ended" in notice["text"]
    refund = await refund_of(shop, charge_id)
    assert refund is not None
    assert (refund.source, refund.admin_id, refund.reason, refund.user_id) == (
        "admin",
        ADMIN_ID,
        "could not use the badge",
        buyer.id,
    )
    assert refund.total_amount == 25
    assert not await holds(shop, buyer.id, "gold")


@pytest.mark.parametrize("command", ["/refund {charge}", "/refund", "/reconcile"])
async def test_non_admin_is_refused_once_and_telegram_is_not_asked(emulator, shop, command):
    buyer, charge_id = await buy_gold(emulator, shop)
    since = emulator.mark()

    update_id = emulator.send_text(buyer, command.format(charge=charge_id))
    await wait_handled(shop, update_id)

    assert [m["text"] for m in messages_since(emulator, since, buyer.id)] == [texts.not_allowed()]
    assert [r for r in emulator.requests[since:] if r.method == "getStarTransactions"] == []
    assert emulator.calls("refundStarPayment") == []
    assert await refund_of(shop, charge_id) is None
    assert await holds(shop, buyer.id, "gold")


async def test_refund_without_a_charge_id_shows_usage(emulator, shop):
    reply = await say(emulator, ADMIN, "/refund")
    assert reply["text"].startswith("Usage: /refund <telegram_payment_charge_id> [reason]")
    assert emulator.calls("refundStarPayment") == []


async def test_refund_of_an_unknown_charge_does_not_call_telegram(emulator, shop):
    reply = await say(emulator, ADMIN, "/refund stxNoSuchCharge")
    assert "No payment with that charge id" in reply["text"]
    assert emulator.calls("refundStarPayment") == []


async def test_refund_of_a_refunded_charge_says_when_and_how_without_calling_telegram(
    emulator, shop
):
    _, charge_id = await buy_gold(emulator, shop)
    await admin_refund(emulator, shop, charge_id)

    reply = await say(emulator, SECOND_ADMIN, f"/refund {charge_id}")

    assert reply["text"].startswith("Already refunded on ")
    assert f"source: admin by admin {ADMIN_ID}" in reply["text"]
    assert len(emulator.calls("refundStarPayment")) == 1


async def test_charge_already_refunded_answer_records_a_refund_made_elsewhere(emulator, shop):
    buyer, charge_id = await buy_gold(emulator, shop)
    emulator.inject(
        "refundStarPayment", Fault(400, description="Bad Request: CHARGE_ALREADY_REFUNDED")
    )

    reply = await say(emulator, ADMIN, f"/refund {charge_id}")

    assert "already refunded elsewhere" in reply["text"]
    refund = await refund_of(shop, charge_id)
    assert refund is not None and (refund.source, refund.admin_id) == ("elsewhere", ADMIN_ID)
    assert not await holds(shop, buyer.id, "gold")
    await emulator.wait_for_message(buyer.id, text_contains=REFUND_NOTICE)


async def test_refund_after_one_429_is_made_once(emulator, shop):
    buyer, charge_id = await buy_gold(emulator, shop)
    emulator.inject("refundStarPayment", Fault(429, retry_after=1))

    reply = await say(emulator, ADMIN, f"/refund {charge_id}")

    assert [c.status for c in emulator.calls("refundStarPayment")] == [429, 200]
    assert "Refunded 25 ⭐" in reply["text"]
    refund = await refund_of(shop, charge_id)
    assert refund is not None and refund.source == "admin"
    assert not await holds(shop, buyer.id, "gold")


async def test_refund_gives_up_when_telegram_keeps_answering_429(emulator, shop):
    buyer, charge_id = await buy_gold(emulator, shop)
    emulator.inject("refundStarPayment", Fault(429, retry_after=1), times=10)

    reply = await say(emulator, ADMIN, f"/refund {charge_id}", timeout=20)

    calls = emulator.calls("refundStarPayment")
    assert len(calls) > 1 and all(c.status == 429 for c in calls)
    assert "gave up" in reply["text"] and "Too Many Requests" in reply["text"]
    assert await refund_of(shop, charge_id) is None
    assert await holds(shop, buyer.id, "gold")


@pytest.mark.parametrize(
    ("fault", "head", "said"),
    [
        (Fault(400), "The refund failed", "Bad Request: injected fault"),
        (Fault(500), "Unknown whether Telegram refunded it", "Internal Server Error"),
        (Fault(502), "Unknown whether Telegram refunded it", "error page (502 Bad Gateway)"),
    ],
    ids=["400", "500", "502-html"],
)
async def test_failed_refund_records_nothing_and_tells_the_admin_why(
    emulator, shop, fault, head, said
):
    buyer, charge_id = await buy_gold(emulator, shop)
    emulator.inject("refundStarPayment", fault)

    reply = await say(emulator, ADMIN, f"/refund {charge_id}")

    assert reply["text"].startswith(head)
    assert said in reply["text"]
    # Only Telegram's clear refusal means nothing happened; after a 5xx it may have refunded.
    assert ("Nothing changed" in reply["text"]) is (fault.status == 400)
    assert "Traceback" not in reply["text"] and "<html" not in reply["text"]
    assert await refund_of(shop, charge_id) is None
    assert await holds(shop, buyer.id, "gold")
    assert await refund_notices_owed(shop, buyer.id) == []
    assert not emulator.charges[charge_id].refunded


async def test_two_admins_refunding_one_charge_at_once_refund_it_once(emulator, shop):
    buyer, charge_id = await buy_gold(emulator, shop)
    # Telegram is slow to answer the first call: the second admin's /refund arrives meanwhile.
    emulator.inject("refundStarPayment", Fault(status=None, delay=1.0))
    since = emulator.mark()

    emulator.send_text(ADMIN, f"/refund {charge_id} first")
    emulator.send_text(SECOND_ADMIN, f"/refund {charge_id} second")
    first = await emulator.wait_for_message(ADMIN_ID, since=since)
    second = await emulator.wait_for_message(SECOND_ADMIN_ID, since=since)

    [call] = emulator.calls("refundStarPayment")
    assert call.ok
    replies = sorted([first["text"], second["text"]])
    assert replies[0].startswith("Already refunded on ")
    assert replies[1].startswith("Refunded 25 ⭐")
    async with shop.sessions() as session:
        rows = (await session.exec(select(Refund))).all()
    assert [r.telegram_payment_charge_id for r in rows] == [charge_id]
    await emulator.wait_for_message(buyer.id, text_contains=REFUND_NOTICE)
    assert len(await refund_notices_owed(shop, buyer.id)) == 1


# -- two payments for one one-time product ---------------------------------------------------


async def pay_twice_for_gold(emu: BotAPIEmulator, shop) -> tuple[User, str, str]:
    """Two invoices paid back to back: both passed pre-checkout before either was stored, so
    the first grants and the second is kept as "already owned", for a person to refund."""
    buyer, first = await buy_gold(emu, shop)
    payload = PayloadSigner(emu.token).encode("gold", 25)
    second, _ = emu.telegram.complete_payment(buyer, "XTR", 25, payload)
    await emu.wait_for_message(buyer.id, text_contains="second payment for Gold badge")
    for admin_id in (ADMIN_ID, SECOND_ADMIN_ID):  # before an admin's reply is waited for
        await emu.wait_for_message(admin_id, text_contains="paid 25 ⭐ again")
    return buyer, first, second.charge_id


async def test_refunding_the_granting_payment_lets_the_other_paid_one_grant_instead(
    emulator, shop
):
    buyer, first, second = await pay_twice_for_gold(emulator, shop)

    reply = await admin_refund(emulator, shop, first)

    assert reply.startswith("Refunded 25 ⭐")
    assert f"The buyer keeps it: their other payment for it, {second}, had granted" in reply
    assert "do not refund that one" in reply
    assert await holds(shop, buyer.id, "gold")
    async with shop.sessions() as session:
        rows = (await session.exec(select(Entitlement))).all()
    active = [r.telegram_payment_charge_id for r in rows if r.revoked_at is None]
    assert active == [second] and len(rows) == 2
    [notice] = await refund_notices_owed(shop, buyer.id)
    assert "You keep <b>Gold badge</b>" in notice and second in notice
    assert "access it gave has ended" not in notice
    await emulator.wait_for_message(buyer.id, text_contains="You keep Gold badge")

    # Refunding the second as well ends the access: nothing is left to grant it.
    reply = await admin_refund(emulator, shop, second)
    assert "The access it gave has ended" in reply
    assert not await holds(shop, buyer.id, "gold")


async def test_refunding_the_payment_that_granted_nothing_leaves_access_as_it_is(emulator, shop):
    buyer, first, second = await pay_twice_for_gold(emulator, shop)

    reply = await admin_refund(emulator, shop, second)

    assert "It had granted nothing, so the buyer's access is unchanged" in reply
    assert await holds(shop, buyer.id, "gold")
    notice = await emulator.wait_for_message(buyer.id, text_contains=REFUND_NOTICE)
    assert "It had not given you anything" in notice["text"]
    # The refunded one never grants later: refunding the first ends the access.
    reply = await admin_refund(emulator, shop, first)
    assert "The access it gave has ended" in reply
    assert not await holds(shop, buyer.id, "gold")


# -- refunds Telegram reports (refunded_payment) ----------------------------------------------


async def test_refund_made_outside_the_bot_revokes_and_tells_the_buyer_once(emulator, shop):
    buyer, charge_id = await buy_gold(emulator, shop)

    update_id = emulator.refund_outside_bot(charge_id)
    assert update_id is not None
    again = emulator.redeliver(update_id)
    await wait_handled(shop, update_id, again)

    refund = await refund_of(shop, charge_id)
    assert refund is not None
    assert (refund.source, refund.admin_id, refund.user_id) == ("telegram", None, buyer.id)
    assert not await holds(shop, buyer.id, "gold")
    await emulator.wait_for_message(buyer.id, text_contains=REFUND_NOTICE)
    assert len(await refund_notices_owed(shop, buyer.id)) == 1
    assert len(refund_notices_sent(emulator, buyer.id)) == 1


async def test_refunded_payment_after_an_admin_refund_changes_nothing(emulator, shop):
    buyer, charge_id = await buy_gold(emulator, shop)

    await admin_refund(emulator, shop, charge_id)
    [update_id] = refunded_payment_updates(emulator, charge_id)  # sent by Telegram on refund
    await wait_handled(shop, emulator.redeliver(update_id))

    refund = await refund_of(shop, charge_id)
    assert refund is not None and (refund.source, refund.admin_id) == ("admin", ADMIN_ID)
    await emulator.wait_for_message(buyer.id, text_contains=REFUND_NOTICE)
    assert len(await refund_notices_owed(shop, buyer.id)) == 1
    assert len(refund_notices_sent(emulator, buyer.id)) == 1


async def test_admin_refund_after_refunded_payment_does_not_call_telegram(emulator, shop):
    buyer, charge_id = await buy_gold(emulator, shop)
    update_id = emulator.refund_outside_bot(charge_id)
    assert update_id is not None
    await wait_handled(shop, update_id)

    reply = await say(emulator, ADMIN, f"/refund {charge_id}")

    assert reply["text"].startswith("Already refunded on ") and "source: telegram" in reply["text"]
    assert emulator.calls("refundStarPayment") == []
    await emulator.wait_for_message(buyer.id, text_contains=REFUND_NOTICE)
    assert len(await refund_notices_owed(shop, buyer.id)) == 1


async def test_refunded_payment_for_an_unknown_charge_is_audited_without_a_crash(emulator, shop):
    buyer = emulator.user("Ann")
    charge_id = emulator.pay_while_bot_down(buyer, payload="not-ours", total_amount=10)
    since = emulator.mark()

    update_id = emulator.refund_outside_bot(charge_id)
    assert update_id is not None
    await wait_handled(shop, update_id)  # a crash would leave it unfinished

    async with shop.sessions() as session:
        statement = select(AuditEvent).where(AuditEvent.telegram_payment_charge_id == charge_id)
        events = (await session.exec(statement)).all()
    assert [(e.kind, e.decision) for e in events] == [("refund_telegram", "unknown_payment")]
    assert await refund_of(shop, charge_id) is None
    assert messages_since(emulator, since, buyer.id) == []
