"""A buyer opens the shop, pays in Stars and owns what they bought: end to end."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot import texts
from bot.services.offers import PayloadSigner
from entitlements import has, has_all, list_active
from storage import AuditRepository, Entitlement, OutboxMessage, Payment, PaymentRepository
from tests.helpers import (
    buy,
    eventually,
    inbox_rows,
    raw_sql,
    request_invoice,
    say,
    wait_handled,
)


async def test_buy_pay_and_own_a_one_time_product(emulator, shop):
    buyer = emulator.user("Ann")
    invoice = await request_invoice(emulator, buyer, "gold")
    [sent] = emulator.calls("sendInvoice")
    assert sent.params["currency"] == "XTR"
    assert [p["amount"] for p in sent.params["prices"]] == [25]
    assert len(sent.params["payload"].encode()) <= 128
    assert "provider_token" not in sent.params

    since = emulator.mark()
    result = await emulator.pay(buyer, invoice)
    assert result.ok and result.charge_id
    confirmation = await emulator.wait_for_message(
        buyer.id, text_contains="Thank you", since=since
    )
    assert "Gold badge" in confirmation["text"]
    assert "gold, forever" in confirmation["text"]
    assert result.charge_id in confirmation["text"]

    async with shop.sessions() as session:
        payment = await PaymentRepository(session).get(result.charge_id)
        assert await has(session, buyer.id, "gold")
    assert payment is not None
    assert (payment.user_id, payment.product_id, payment.total_amount, payment.currency) == (
        buyer.id,
        "gold",
        25,
        "XTR",
    )
    assert payment.invoice_payload == sent.params["payload"]
    assert (
        payment.provider_payment_charge_id == emulator.charges[result.charge_id].provider_charge_id
    )


async def test_same_successful_payment_delivered_twice_grants_and_confirms_once(emulator, shop):
    buyer = emulator.user("Ben")
    result = await buy(emulator, buyer, "pro_month")
    assert result.successful_payment_update_id is not None
    duplicate = emulator.redeliver(result.successful_payment_update_id)
    await wait_handled(shop, duplicate)
    # The outbox sends in order: once a later reply arrives, a second confirmation would have too.
    await say(emulator, buyer, "/help")
    confirmations = [
        m for m in emulator.sent_messages(buyer.id) if "Thank you" in m.get("text", "")
    ]
    assert len(confirmations) == 1
    async with shop.sessions() as session:
        assert await PaymentRepository(session).count() == 1
        rows = (await session.exec(select(Entitlement))).all()
        outbox = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == buyer.id))
        ).all()
        audit = await AuditRepository(session).list("successful_payment")
    assert len(rows) == 1
    assert len(outbox) == 1
    assert [e.decision for e in audit] == ["recorded", "duplicate"]


async def test_timed_product_confirms_end_date_and_buying_again_extends_it(emulator, shop):
    buyer = emulator.user("Cid")
    await buy(emulator, buyer, "pro_month")
    await buy(emulator, buyer, "pro_month")
    async with shop.sessions() as session:
        [active] = await list_active(session, buyer.id)
        payments = (await session.exec(select(Payment))).all()
    first_paid = min(p.paid_at for p in payments)
    assert active.key == "pro"
    assert active.expires_at is not None
    days = (active.expires_at - first_paid).total_seconds() / 86400
    assert 59.9 < days < 60.1
    confirmations = [
        m["text"] for m in emulator.sent_messages(buyer.id) if "Thank you" in m.get("text", "")
    ]
    assert len(confirmations) == 2
    assert all("pro, until " in text for text in confirmations)
    assert f"pro, until {texts.when(active.expires_at)}" in confirmations[-1]  # extended


async def test_buy_shows_valid_ids_for_an_unknown_product(emulator, shop):
    buyer = emulator.user("Dee")
    reply = await say(emulator, buyer, "/buy platinum")
    assert "no product 'platinum'" in reply["text"]
    for product_id in ("gold", "pro_month", "supporter"):
        assert product_id in reply["text"]
    usage = await say(emulator, buyer, "/buy")
    assert usage["text"].startswith("Usage: /buy <product_id>")
    assert emulator.calls("sendInvoice") == []


async def test_buy_an_owned_one_time_product_says_so_instead_of_an_invoice(emulator, shop):
    buyer = emulator.user("Eve")
    await buy(emulator, buyer, "gold")
    reply = await say(emulator, buyer, "/buy gold")
    assert "You already own Gold badge" in reply["text"]
    assert len(emulator.calls("sendInvoice")) == 1
    # Timed products may be bought again: that extends them.
    await request_invoice(emulator, buyer, "pro_month")


async def test_shop_lists_products_with_a_button_each_that_sends_its_invoice(emulator, shop):
    buyer = emulator.user("Gus")
    listing = await say(emulator, buyer, "/shop")
    for product in shop.catalog:
        assert product.title in listing["text"]
        assert f"{product.price} ⭐" in listing["text"]
    assert "gives gold" in listing["text"] and "for 30 days" in listing["text"]
    # The example's code product has no codes loaded: marked sold out, without a button.
    assert "VPN key, 1 year" in listing["text"] and "sold out" in listing["text"]
    buttons = [row[0] for row in listing["reply_markup"]["inline_keyboard"]]
    on_sale = [f"buy:{p.id}" for p in shop.catalog if not p.codes]
    assert [b["callback_data"] for b in buttons] == on_sale

    since = emulator.mark()
    emulator.press_button(buyer, listing, "buy:pro_month")
    invoice = await emulator.wait_for_message(buyer.id, since=since)
    assert invoice["invoice"]["title"] == "Pro, 30 days"
    assert invoice["invoice"]["total_amount"] == 100
    answer = await emulator.wait_for("answerCallbackQuery", since=since)
    assert answer.ok
    result = await emulator.pay(buyer, invoice)
    assert result.ok


async def test_start_welcomes_and_deep_link_goes_straight_to_the_invoice(emulator, shop):
    buyer = emulator.user("Hal")
    welcome = await say(emulator, buyer, "/start")
    assert "Telegram Stars" in welcome["text"]
    for command in ("/shop", "/buy", "/mypurchases", "/paysupport", "/terms", "/help"):
        assert command in welcome["text"]
    invoice = await say(emulator, buyer, "/start buy_supporter")
    assert invoice["invoice"]["title"] == "Supporter pack"
    unknown = await say(emulator, buyer, "/start buy_nothing")
    assert "no product 'nothing'" in unknown["text"]


async def test_help_terms_and_unknown_commands_get_clear_answers(emulator, start_bot):
    await start_bot(terms_text="No refunds on Tuesdays.")
    buyer = emulator.user("Ida")
    help_text = await say(emulator, buyer, "/help")
    assert "/mypurchases" in help_text["text"] and "/refund" not in help_text["text"]
    terms = await say(emulator, buyer, "/terms")
    assert terms["text"] == "No refunds on Tuesdays."
    unknown = await say(emulator, buyer, "/frobnicate")
    assert "don't know that command" in unknown["text"]
    chatter = await say(emulator, buyer, "hello?")
    assert "/shop" in chatter["text"]


async def test_mypurchases_lists_what_is_owned_with_end_dates_and_charge_ids(emulator, shop):
    buyer = emulator.user("Jo")
    empty = await say(emulator, buyer, "/mypurchases")
    assert "not bought anything" in empty["text"]
    gold = await buy(emulator, buyer, "gold")
    pro = await buy(emulator, buyer, "pro_month")
    listing = await say(emulator, buyer, "/mypurchases")
    text = listing["text"]
    async with shop.sessions() as session:
        ends = {a.key: a.expires_at for a in await list_active(session, buyer.id)}
    pro_ends = ends["pro"]
    assert ends["gold"] is None and "gold, forever" in text
    assert pro_ends is not None and f"pro, until {texts.when(pro_ends)}" in text
    assert gold.charge_id in text and pro.charge_id in text
    assert "Gold badge, 25 ⭐" in text


async def test_command_menus_are_registered_at_start_in_every_language(emulator, shop):
    calls = emulator.calls("setMyCommands")
    menus = {
        (c.params["scope"]["type"], c.params.get("language_code")): c.params["commands"]
        for c in calls
        if c.params["scope"]["type"] == "default"
    }
    # The default language's without a language code: it serves every language without its own.
    assert set(menus) == {("default", None), ("default", "ru")}
    english, russian = menus["default", None], menus["default", "ru"]
    names = ["shop", "buy", "mypurchases", "subscriptions", "paysupport", "terms", "id"]
    assert [c["command"] for c in english] == [*names, "language", "help"]
    assert [c["command"] for c in russian] == [c["command"] for c in english]
    assert english[0]["description"] == "browse the products"
    assert russian[0]["description"] == "посмотреть товары"
    admin_menus = [c for c in calls if c.params["scope"]["type"] == "chat"]
    assert {
        (c.params["scope"]["chat_id"], c.params.get("language_code")) for c in admin_menus
    } == {(admin, language) for admin in shop.settings.admin_ids for language in (None, "ru")}
    assert all("refund" in [x["command"] for x in c.params["commands"]] for c in admin_menus)


async def test_a_shop_in_russian_first_sets_its_menu_without_a_language_in_russian(
    emulator, start_bot
):
    await start_bot(default_language="ru")
    menus = {
        c.params.get("language_code"): c.params["commands"][0]["description"]
        for c in emulator.calls("setMyCommands")
        if c.params["scope"]["type"] == "default"
    }
    assert menus == {None: "посмотреть товары", "en": "browse the products"}


async def test_an_admin_who_never_opened_the_bot_does_not_cost_others_their_menu(
    emulator, start_bot
):
    stranger, admin = 111, 900_001  # 111 never talked to the bot: "chat not found"
    await start_bot(admin_ids={stranger, admin})
    answered = {
        (c.params["scope"].get("chat_id"), c.status)
        for c in emulator.calls("setMyCommands")
        if c.params["scope"]["type"] == "chat"
    }
    assert answered == {(stranger, 400), (admin, 200)}


async def test_second_payment_for_an_owned_one_time_product_is_kept_and_sent_to_a_person(
    emulator, shop
):
    buyer = emulator.user("Twice")
    first = await buy(emulator, buyer, "gold")
    # A second invoice whose pre-checkout passed before the first payment was stored: Telegram
    # delivers its successful_payment now.
    payload = PayloadSigner(emulator.token).encode("gold", 25)
    second_charge = "stx-second-" + "x" * 100
    emulator.queue_update(
        {
            "message": {
                "message_id": 999,
                "date": 1_800_000_000,
                "chat": buyer.private_chat(),
                "from": buyer.to_dict(),
                "successful_payment": {
                    "currency": "XTR",
                    "total_amount": 25,
                    "invoice_payload": payload,
                    "telegram_payment_charge_id": second_charge,
                    "provider_payment_charge_id": "prov-second",
                },
            }
        }
    )
    told = await emulator.wait_for_message(buyer.id, text_contains="second payment")
    assert "A person will refund it" in told["text"]
    for admin_id in shop.settings.admin_ids:
        alert = await emulator.wait_for_message(admin_id, text_contains="paid 25 ⭐ again")
        assert f"/refund {second_charge}" in alert["text"]
    async with shop.sessions() as session:
        assert await PaymentRepository(session).get(second_charge) is not None
        rows = (await session.exec(select(Entitlement))).all()
    assert [r.telegram_payment_charge_id for r in rows] == [first.charge_id]


def refuse_payments_of(user_id: int, backend: str) -> list[str]:
    """SQL for a trigger that makes the database refuse one buyer's payments."""
    if backend == "sqlite":
        return [
            "CREATE TRIGGER refuse_one BEFORE INSERT ON payments "
            f"WHEN NEW.user_id = {user_id} BEGIN SELECT RAISE(ABORT, 'refused by a test'); END"
        ]
    return [
        "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.user_id = {user_id} THEN RAISE EXCEPTION 'refused by a test'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER refuse_one BEFORE INSERT ON payments "
        "FOR EACH ROW EXECUTE FUNCTION refuse_one()",
    ]


@pytest.mark.slow
async def test_200_payments_at_once_where_one_breaks_a_constraint_store_the_other_199(
    emulator, shop, database_url, backend
):
    buyers = [emulator.user(f"Crowd {n}") for n in range(200)]
    broken = buyers[117]
    await raw_sql(database_url, *refuse_payments_of(broken.id, backend))
    signer = PayloadSigner(emulator.token)
    results = await asyncio.gather(
        *(emulator.pay(b, payload=signer.encode("gold", 25), total_amount=25) for b in buyers)
    )
    assert all(r.ok for r in results)

    async def stored() -> list[Payment]:
        async with shop.reads() as session:
            payments = (await session.exec(select(Payment))).all()
        return list(payments) if len(payments) == 199 else []

    # 200 payments on a machine loaded many times over can take longer than 30 s.
    payments = await eventually(stored, timeout=90)
    assert broken.id not in {p.user_id for p in payments}
    update_id = results[117].successful_payment_update_id
    assert update_id is not None
    rows = await eventually(lambda: failed_attempt(shop, update_id))
    assert "refused by a test" in (rows.last_error or "")
    async with shop.reads() as session:
        for buyer in buyers:
            assert await has_all(session, buyer.id, ["gold"]) is (buyer is not broken)


async def failed_attempt(shop, update_id: int):
    row = (await inbox_rows(shop, update_id)).get(update_id)
    return row if row is not None and row.attempts >= 1 else None
