"""The admin commands for running the shop, end to end: /stats, /payments, /user, /grant,
/revoke, /balance and /export, and everyone else refused once."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot import texts
from bot.routers import admin_reports
from bot.services.exports import COLUMNS
from bot.services.goodwill import GRANT_KIND, REVOKE_KIND
from emulator import Fault, User
from entitlements import has, list_active
from storage import AuditRepository, Payment, Refund, utcnow
from storage.models import KnownUser
from tests.helpers import (
    ADMIN_ID,
    SECOND_ADMIN_ID,
    buy,
    eventually,
    raw_sql,
    say,
    wait_handled,
)

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")
SECOND_ADMIN = User(id=SECOND_ADMIN_ID, first_name="Second admin", username="second_admin")


def code_entities(message: dict) -> list[str]:
    """The text of each tap-to-copy code entity, as a Telegram client shows them."""
    text = message["text"].encode("utf-16-le")
    return [
        text[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == "code"
    ]


def replies(emulator, since: int, chat_id: int) -> list[dict]:
    return [
        request.result
        for request in emulator.requests[since:]
        if request.method in ("sendMessage", "sendDocument")
        and request.ok
        and request.result["chat"]["id"] == chat_id
    ]


async def holds(shop, user_id: int, key: str) -> bool:
    async with shop.sessions() as session:
        return await has(session, user_id, key)


async def refund(emulator, shop, charge_id: str | None) -> None:
    assert charge_id is not None
    update_id = emulator.refund_outside_bot(charge_id)
    assert update_id is not None
    await wait_handled(shop, update_id)


COMMANDS = [
    "/stats",
    "/payments 5",
    "/user {buyer}",
    "/grant {buyer} gold",
    "/revoke {buyer} gold",
    "/balance",
    "/export",
]


@pytest.mark.parametrize("command", COMMANDS)
async def test_anyone_but_an_admin_is_refused_once(emulator, shop, command):
    buyer = emulator.user("Mallory", username="mallory")
    since = emulator.mark()

    update_id = emulator.send_text(buyer, command.format(buyer=buyer.id))
    await wait_handled(shop, update_id)

    assert [m["text"] for m in replies(emulator, since, buyer.id)] == [texts.not_allowed()]
    assert emulator.calls("getMyStarBalance") == []
    assert not await holds(shop, buyer.id, "gold")
    async with shop.sessions() as session:
        assert await AuditRepository(session).list(GRANT_KIND) == []


async def test_the_admin_menu_lists_every_admin_command(emulator, shop):
    [menu] = [
        c
        for c in emulator.calls("setMyCommands")
        if c.params["scope"].get("chat_id") == ADMIN_ID and "language_code" not in c.params
    ]
    listed = [c["command"] for c in menu.params["commands"]]
    for command in ("stats", "payments", "user", "grant", "revoke", "balance", "export"):
        assert command in listed


async def test_stats_shows_revenue_refunds_and_holders(emulator, shop):
    ann, bob = emulator.user("Ann"), emulator.user("Bob")
    gold = await buy(emulator, ann, "gold")
    await buy(emulator, bob, "pro_month")
    await buy(emulator, bob, "supporter")
    await refund(emulator, shop, gold.charge_id)

    text = (await say(emulator, ADMIN, "/stats"))["text"]

    lines = text.splitlines()
    assert lines[0].startswith("📊 Sales as of ")
    assert lines[1].split() == ["period", "payments", "Stars", "refunds", "net", "Stars"]
    for row, name in zip(lines[2:6], ("today", "7 days", "30 days", "all time"), strict=True):
        assert row.startswith(name) and row.split()[-4:] == ["3", "175", "1", "150"]
    assert "all time 33.3% (1 of 3)" in text
    assert "Gold badge (gold): 1" in text  # Bob, through the supporter pack; Ann was refunded
    assert "Pro, 30 days (pro_month): 1" in text and "Supporter pack (supporter): 1" in text


async def test_payments_lists_the_latest_with_charge_ids_to_copy(emulator, shop):
    buyer = emulator.user("Ann")
    first = await buy(emulator, buyer, "gold")
    second = await buy(emulator, buyer, "pro_month")
    await refund(emulator, shop, first.charge_id)

    both = await say(emulator, ADMIN, "/payments")
    one = await say(emulator, ADMIN, "/payments 1")

    assert code_entities(both) == [str(buyer.id), second.charge_id, str(buyer.id), first.charge_id]
    assert "Pro, 30 days, 100 ⭐" in both["text"] and ", refunded " in both["text"]
    assert code_entities(one)[1:] == [second.charge_id]


@pytest.mark.parametrize("args", ["0", "51", "many"])
async def test_payments_with_a_bad_count_shows_usage(emulator, shop, args):
    reply = await say(emulator, ADMIN, f"/payments {args}")
    assert reply["text"] == texts.plain(texts.payments_usage())


async def test_payments_before_any_sale(emulator, shop):
    assert (await say(emulator, ADMIN, "/payments"))["text"] == "No payments yet."


async def test_user_by_id_or_username_shows_payments_refunds_holdings_and_goodwill(emulator, shop):
    buyer = emulator.user("Ann Smith", username="Ann_Buys")
    gold = await buy(emulator, buyer, "gold")
    pro = await buy(emulator, buyer, "pro_month")
    await refund(emulator, shop, pro.charge_id)
    await say(emulator, ADMIN, f"/grant {buyer.id} supporter")

    async def known():
        async with shop.sessions() as session:
            return await session.get(KnownUser, buyer.id)

    await eventually(known)  # stored in the background as the buyer wrote
    by_id = await say(emulator, ADMIN, f"/user {buyer.id}")
    by_name = await say(emulator, ADMIN, "/user @ann_buys")

    assert by_id["text"] == by_name["text"]
    text = by_id["text"]
    assert text.startswith(f"👤 Ann Smith @ann_buys, user {buyer.id}")
    assert "Paid 2 times, 125 ⭐; refunded 1 (100 ⭐)." in text
    assert "• gold, forever" in text and "• supporter, forever (goodwill grant:" in text
    assert "pro" not in text.split("Holds now:")[1].split("\n\n")[0]  # refunded: gone
    assert f"granted Supporter pack forever or its own term by admin {ADMIN_ID}" in text
    assert gold.charge_id in code_entities(by_id) and pro.charge_id in code_entities(by_id)


async def test_user_that_the_bot_never_heard_of(emulator, shop):
    by_name = await say(emulator, ADMIN, "/user @nobody_here")
    by_id = await say(emulator, ADMIN, "/user 424242")
    usage = await say(emulator, ADMIN, "/user")

    assert by_name["text"].startswith("Nobody with the username @nobody_here")
    assert by_id["text"].startswith("👤 User 424242 (has not written to the bot)")
    assert "Paid 0 times" in by_id["text"] and "nothing" in by_id["text"]
    assert usage["text"] == texts.plain(texts.user_usage())


async def test_grant_gives_access_without_revenue_and_revoke_ends_it(emulator, shop):
    buyer = emulator.user("Ann")
    await buy(emulator, buyer, "pro_month")

    granted = await say(emulator, ADMIN, f"/grant {buyer.id} gold 7")

    assert granted["text"].startswith(f"Granted Gold badge to user {buyer.id} as goodwill")
    assert "• gold, until " in granted["text"]
    [charge] = [c for c in code_entities(granted) if c.startswith("grant:")]
    assert await holds(shop, buyer.id, "gold")
    assert "already own" in (await say(emulator, buyer, "/buy gold"))["text"]
    stats = (await say(emulator, ADMIN, "/stats"))["text"]
    assert stats.splitlines()[5].split()[-4:] == ["1", "100", "0", "100"]  # the sale only
    async with shop.sessions() as session:
        [event] = await AuditRepository(session).list(GRANT_KIND)
        payments = (await session.exec(select(Payment))).all()
    assert event.telegram_payment_charge_id == charge and f'"admin_id": {ADMIN_ID}' in event.raw
    assert [p.product_id for p in payments] == ["pro_month"]

    revoked = await say(emulator, ADMIN, f"/revoke {buyer.id} gold")

    assert (
        revoked["text"] == f"Ended the goodwill grant of Gold badge for user {buyer.id}: {charge}."
    )
    assert not await holds(shop, buyer.id, "gold")
    again = await say(emulator, ADMIN, f"/revoke {buyer.id} gold")
    assert "has no goodwill grant of Gold badge running; nothing changed" in again["text"]
    async with shop.sessions() as session:
        [event] = await AuditRepository(session).list(REVOKE_KIND)
    assert event.user_id == buyer.id and event.reason == f"by admin {ADMIN_ID}"


async def test_revoke_leaves_paid_access_and_says_a_refund_ends_it(emulator, shop):
    buyer = emulator.user("Ann")
    gold = await buy(emulator, buyer, "gold")

    reply = await say(emulator, ADMIN, f"/revoke {buyer.id} gold")

    assert "nothing changed" in reply["text"] and "only a /refund ends" in reply["text"]
    assert gold.charge_id in code_entities(reply)
    assert await holds(shop, buyer.id, "gold")


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/grant", "Usage: /grant <user_id> <product_id> [days]"),
        ("/grant 7", "Usage: /grant"),
        ("/grant 7 gold 0", "Usage: /grant"),
        ("/grant @ann gold", "Usage: /grant"),
        ("/grant 7 platinum", "There is no product 'platinum'. Products: gold, pro_month,"),
        ("/grant 7 club", "Club membership is a subscription and has no term of its own"),
        ("/revoke 7", "Usage: /revoke <user_id> <product_id>"),
        ("/revoke 7 platinum", "There is no product 'platinum'."),
    ],
)
async def test_grant_and_revoke_explain_what_is_wrong_and_change_nothing(
    emulator, shop, command, answer
):
    reply = await say(emulator, ADMIN, command)

    assert reply["text"].startswith(answer)
    async with shop.sessions() as session:
        assert await AuditRepository(session).list() == []


async def test_balance_is_the_bots_star_balance(emulator, shop):
    await buy(emulator, emulator.user("Ann"), "pro_month")
    reply = await say(emulator, ADMIN, "/balance")
    assert reply["text"] == f"The bot's Star balance: {emulator.star_balance} ⭐"
    assert emulator.star_balance == 100


async def test_balance_when_telegram_fails_says_so(emulator, shop):
    emulator.inject("getMyStarBalance", Fault(400, "Bad Request: <not today>"))
    reply = await say(emulator, ADMIN, "/balance")
    assert reply["text"] == (
        "Could not get the balance: Telegram said “Bad Request: <not today>”. Try again in a "
        "minute."
    )


async def test_export_sends_the_last_30_days_as_a_csv_that_matches_the_database(emulator, shop):
    buyer = emulator.user("Ann")
    gold = await buy(emulator, buyer, "gold")
    await buy(emulator, buyer, "pro_month")
    await refund(emulator, shop, gold.charge_id)
    await say(emulator, ADMIN, f"/grant {buyer.id} supporter")  # not a payment: not exported
    since = emulator.mark()

    update_id = emulator.send_text(ADMIN, "/export")
    await wait_handled(shop, update_id)

    [message] = replies(emulator, since, ADMIN_ID)
    assert message["document"]["file_name"].startswith("payments-")
    assert message["document"]["mime_type"] == "text/csv"
    assert message["caption"].startswith("2 payments from ")
    [upload] = emulator.calls("sendDocument")[-1].files.values()
    rows = list(csv.DictReader(io.StringIO(upload.content.decode())))
    async with shop.sessions() as session:
        payments = (await session.exec(select(Payment).order_by(col(Payment.id)))).all()
        [refunded] = (await session.exec(select(Refund))).all()
    assert [tuple(r) for r in rows[:1]] == [COLUMNS]
    assert [r["telegram_payment_charge_id"] for r in rows] == [
        p.telegram_payment_charge_id for p in payments
    ]
    assert [(r["user_id"], r["product_id"], r["total_amount"]) for r in rows] == [
        (str(buyer.id), "gold", "25"),
        (str(buyer.id), "pro_month", "100"),
    ]
    assert rows[0]["paid_at"] == payments[0].paid_at.isoformat()
    assert (rows[0]["refunded_at"], rows[0]["refund_source"]) == (
        refunded.refunded_at.isoformat(),
        "telegram",
    )
    assert rows[1]["refunded_at"] == rows[1]["refund_amount"] == ""


async def test_export_with_nothing_to_send_says_so(emulator, shop):
    reply = await say(emulator, ADMIN, "/export")
    assert reply["text"].startswith("No payments since ")
    assert emulator.calls("sendDocument") == []


async def test_export_too_large_to_send_points_to_the_command_line(emulator, shop, monkeypatch):
    await buy(emulator, emulator.user("Ann"), "gold")
    monkeypatch.setattr(admin_reports, "DOCUMENT_LIMIT_BYTES", 100)  # a bot may send 50 MB

    reply = await say(emulator, ADMIN, "/export")

    assert reply["text"].startswith("The export is 0 MB, more than a bot may send (50 MB).")
    assert 'make export FILE=payments.csv ARGS="--since YYYY-MM-DD"' in reply["text"]
    assert emulator.calls("sendDocument") == []


async def handled_again(start_bot, bot, database_url: str, update_id: int):
    """As if the process died after the handler's commit and before the inbox row was marked
    done: the next start runs the update once more. The restarted bot."""
    await wait_handled(bot, update_id)
    await bot.stop()
    await raw_sql(
        database_url,
        f"UPDATE inbox SET status = 'pending', finished_at = NULL WHERE update_id = {update_id}",
    )
    restarted = await start_bot()
    await wait_handled(restarted, update_id)
    return restarted


async def test_a_grant_handled_twice_gives_its_days_once_and_answers_the_same(
    emulator, start_bot, database_url
):
    bot = await start_bot()
    buyer = emulator.user("Ann")
    since = emulator.mark()

    update_id = emulator.send_text(ADMIN, f"/grant {buyer.id} pro_month")
    bot = await handled_again(start_bot, bot, database_url, update_id)

    first, again = replies(emulator, since, ADMIN_ID)
    assert first["text"].startswith("Granted Pro") and again["text"] == first["text"]
    async with bot.sessions() as session:
        assert len(await AuditRepository(session).list(GRANT_KIND)) == 1
        [pro] = await list_active(session, buyer.id)
    assert pro.expires_at is not None and pro.expires_at - utcnow() <= timedelta(days=30)


async def test_a_revoke_handled_twice_spares_a_grant_made_in_between(
    emulator, start_bot, database_url
):
    bot = await start_bot()
    buyer = emulator.user("Ann")
    await say(emulator, ADMIN, f"/grant {buyer.id} gold")
    since = emulator.mark()
    update_id = emulator.send_text(ADMIN, f"/revoke {buyer.id} gold")
    await wait_handled(bot, update_id)
    await say(emulator, SECOND_ADMIN, f"/grant {buyer.id} gold")  # before the crash is noticed

    bot = await handled_again(start_bot, bot, database_url, update_id)

    first, again = replies(emulator, since, ADMIN_ID)
    assert first["text"].startswith("Ended the goodwill grant") and again["text"] == first["text"]
    assert await holds(bot, buyer.id, "gold")
    async with bot.sessions() as session:
        assert len(await AuditRepository(session).list(REVOKE_KIND)) == 1
