"""The bot speaks each user's language: the purchase flow in Russian for a Russian app,
/language's choice kept across restarts, and the defaults a shop sets."""

from __future__ import annotations

from bot import texts
from bot.i18n import speaking
from bot.keyboards.languages import LanguageChoice
from bot.outcomes import Refusal
from tests.helpers import request_invoice, say

ENGLISH_SHOP = "What you can buy"


async def test_a_russian_app_gets_the_whole_purchase_flow_in_russian(emulator, shop):
    buyer = emulator.user("Аня", language_code="ru-RU")
    catalog = shop.catalog
    gold = catalog.get("gold")
    assert gold is not None

    with speaking("ru"):
        expected_shop = texts.shop(catalog, sold_out={"vpn_key"})  # no codes loaded
        russian_title, russian_description = gold.title, gold.description
    listing = await say(emulator, buyer, "/shop")
    assert listing["text"] == texts.plain(expected_shop) and "Что можно купить" in expected_shop
    buttons = [b["text"] for row in listing["reply_markup"]["inline_keyboard"] for b in row]
    assert any("Золотой значок" in label for label in buttons)

    invoice = await request_invoice(emulator, buyer, "gold")
    assert invoice["invoice"]["title"] == russian_title == "Золотой значок"
    assert invoice["invoice"]["description"] == russian_description
    since = emulator.mark()
    paid = await emulator.pay(buyer, invoice)
    assert paid.ok, paid.error_message
    confirmation = await emulator.wait_for_message(
        buyer.id, text_contains="Спасибо, оплата получена!", since=since
    )
    assert "Вы купили Золотой значок" in confirmation["text"]

    purchases = (await say(emulator, buyer, "/mypurchases"))["text"]
    assert "У вас есть:" in purchases and paid.charge_id in purchases
    assert "Золотой значок, 25 ⭐" in purchases

    support = (await say(emulator, buyer, "/paysupport"))["text"]
    with speaking("ru"):
        assert support == texts.plain(texts.support_prompt(texts.default_paysupport_text()))
    assert "Проблема с оплатой?" in support


async def test_a_refused_pre_checkout_is_explained_in_the_buyers_language(emulator, shop):
    buyer = emulator.user("Аня", language_code="ru")
    invoice = await request_invoice(emulator, buyer, "gold")
    refused = await emulator.pay(buyer, invoice, total_amount=1)
    assert not refused.ok
    with speaking("ru"):
        assert refused.error_message == texts.refusal_message(Refusal.AMOUNT_MISMATCH)
    assert refused.error_message != texts.refusal_message(Refusal.AMOUNT_MISMATCH)


async def test_language_switches_to_english_and_the_choice_survives_a_restart(emulator, start_bot):
    first = await start_bot()
    buyer = emulator.user("Аня", language_code="ru")
    prompt = await say(emulator, buyer, "/language")
    assert prompt["text"] == "Выберите язык, на котором я буду с вами говорить:"
    labels = {b["text"]: b["callback_data"] for b in prompt["reply_markup"]["inline_keyboard"][0]}
    assert labels == {
        "English": LanguageChoice(language="en").pack(),
        "Русский": LanguageChoice(language="ru").pack(),
    }

    since = emulator.mark()
    emulator.press_button(buyer, prompt, labels["English"])
    chosen = await emulator.wait_for_message(buyer.id, since=since)
    assert chosen["text"] == "From now on I speak English to you. /help lists the commands."
    assert ENGLISH_SHOP in (await say(emulator, buyer, "/shop"))["text"]

    await first.stop()
    await start_bot()
    assert ENGLISH_SHOP in (await say(emulator, buyer, "/shop"))["text"]
    # Another Russian app that chose nothing is still answered in Russian.
    other = emulator.user("Боря", language_code="ru")
    assert "Что можно купить" in (await say(emulator, other, "/shop"))["text"]


async def test_an_app_in_a_language_the_bot_does_not_speak_gets_the_shops_default(
    emulator, start_bot
):
    await start_bot(default_language="ru", paysupport_text_ru="Пишите нам: мы отвечаем за час.")
    visitor = emulator.user("Jo", language_code="pt-br")
    assert "Что можно купить" in (await say(emulator, visitor, "/shop"))["text"]
    assert (
        "Пишите нам: мы отвечаем за час." in (await say(emulator, visitor, "/paysupport"))["text"]
    )
    english = emulator.user("Ann", language_code="en")
    support = (await say(emulator, english, "/paysupport"))["text"]
    assert "Problem with a payment?" in support  # no PAYSUPPORT_TEXT: the bot's own, in English


async def test_descriptions_are_set_only_where_the_shop_gives_them(emulator, start_bot):
    await start_bot(bot_description="Digital goods for Stars.", bot_short_description_ru="Магазин")
    assert emulator.descriptions == {"": "Digital goods for Stars."}
    assert emulator.short_descriptions == {"ru": "Магазин"}


async def test_language_in_a_group_points_to_the_private_chat(emulator, shop):
    group = emulator.group()
    member = emulator.user("Аня", language_code="ru")
    since = emulator.mark()
    emulator.send_text(member, "/language", chat=group)
    answer = await emulator.wait_for_message(group.id, since=since)
    with speaking("ru"):
        assert answer["text"] == texts.private_chat_only()
