"""The Bot API emulator behaves like Telegram, seen through raw HTTP and through aiogram."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    TransactionPartnerUser,
    Update,
)

from emulator import (
    DEFAULT_SPEC_PATH,
    MALFORMED,
    NO_HTTP_ANSWER,
    NOT_UTF8_PAGE,
    BotAPIEmulator,
    BotAPISpec,
    Fault,
    Request,
    User,
    format_text,
)
from tests import children

TOKEN = "123456:TEST-token"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, emu: BotAPIEmulator, method: str, **params: Any
) -> tuple[int, Any]:
    """POST a method as aiogram does: form fields, non-strings JSON-encoded."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with http.post(f"{emu.base_url}/bot{emu.token}/{method}", data=form) as response:
        return response.status, await response.json()


def assert_valid_update(emu: BotAPIEmulator, update: dict[str, Any]) -> Update:
    """An update the emulator made is a real Update for the spec and for aiogram."""
    assert emu.spec.check_object("Update", update) == []
    return Update.model_validate(update)


def assert_answers_match_spec(emu: BotAPIEmulator) -> None:
    """Every successful answer has the shape the spec promises for its method."""
    answered = [request for request in emu.requests if request.ok]
    assert answered
    for request in answered:
        returns = emu.spec.methods[request.method].returns
        assert emu.spec.check_value(returns, request.result, request.method) == []


async def next_updates(bot: Bot, emu: BotAPIEmulator, seconds: int = 5) -> list[Update]:
    """The bot's next getUpdates, confirming everything it has seen before."""
    return await bot.get_updates(offset=emu.confirmed_offset or None, timeout=seconds)


async def next_pre_checkout(bot: Bot, emu: BotAPIEmulator) -> PreCheckoutQuery:
    """Poll as a bot would until a pre_checkout_query arrives."""
    for _ in range(5):
        for update in await next_updates(bot, emu):
            if update.pre_checkout_query is not None:
                return update.pre_checkout_query
    raise AssertionError("no pre_checkout_query arrived")


async def answer_next_pre_checkout(bot: Bot, emu: BotAPIEmulator, ok: bool = True) -> str:
    query = await next_pre_checkout(bot, emu)
    if ok:
        await bot.answer_pre_checkout_query(query.id, ok=True)
    else:
        await bot.answer_pre_checkout_query(
            query.id, ok=False, error_message="Sold out, try tomorrow."
        )
    return query.id


async def send_stars_invoice(bot: Bot, chat_id: int, payload: str = "product:1") -> Message:
    return await bot.send_invoice(
        chat_id=chat_id,
        title="Wallpaper pack",
        description="Ten 4K wallpapers",
        payload=payload,
        currency="XTR",
        prices=[LabeledPrice(label="Wallpaper pack", amount=25)],
    )


async def paid(bot: Bot, emu: BotAPIEmulator, user: User, payload: str = "product:1") -> str:
    """A completed purchase; returns the charge id."""
    invoice = await send_stars_invoice(bot, user.id, payload)
    payment = asyncio.create_task(emu.pay(user, invoice))
    await answer_next_pre_checkout(bot, emu)
    result = await payment
    assert result.ok and result.charge_id is not None
    return result.charge_id


# -- the HTTP surface ------------------------------------------------------------------------


async def test_get_me_answers_the_bot_user_named_by_the_token(bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == 123456
    assert me.is_bot is True
    assert me.username == "stars_shop_test_bot"


async def test_wrong_token_is_unauthorized(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emu.base_url}/bot999:wrong/getMe") as response:
        body = await response.json()

    assert response.status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    other_bot = Bot(
        "999:wrong", session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    )
    with pytest.raises(TelegramUnauthorizedError):
        await other_bot.get_me()
    await other_bot.session.close()


async def test_unknown_method_is_not_found_and_a_violation(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, emu, "sendTelepathy", chat_id=1)

    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    assert emu.violations == ["sendTelepathy: no such method in the Bot API"]


async def test_method_names_match_case_insensitively_over_get(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emu.base_url}/bot{TOKEN}/GETME") as response:
        body = await response.json()

    assert response.status == 200
    assert body["result"]["username"] == "stars_shop_test_bot"
    assert [request.method for request in emu.requests] == ["getMe"]


async def test_test_environment_path_is_served(emu: BotAPIEmulator) -> None:
    api = TelegramAPIServer(
        base=f"{emu.base_url}/bot{{token}}/test/{{method}}",
        file=f"{emu.base_url}/file/bot{{token}}/test/{{path}}",
    )
    test_bot = Bot(TOKEN, session=AiohttpSession(api=api))

    me = await test_bot.get_me()
    await test_bot.session.close()

    assert me.id == 123456
    assert emu.requests[0].path == f"/bot{TOKEN}/test/getMe"


async def test_params_are_decoded_by_spec_types_from_form_json_and_query(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    alice = emu.user(first_name="Alice")
    url = f"{emu.base_url}/bot{TOKEN}/sendMessage"
    form = {"chat_id": str(alice.id), "text": "42", "disable_notification": "true"}

    async with http.post(url, data=form) as response:
        assert response.status == 200
    async with http.post(url, json={"chat_id": alice.id, "text": "json"}) as response:
        assert response.status == 200
    async with http.get(url, params={"chat_id": str(alice.id), "text": "query"}) as response:
        assert response.status == 200

    first, second, third = emu.calls("sendMessage")
    assert first.params == {"chat_id": alice.id, "text": "42", "disable_notification": True}
    assert second.params == {"chat_id": alice.id, "text": "json"}
    assert third.params == {"chat_id": alice.id, "text": "query"}
    assert emu.violations == []


async def test_aiogram_multipart_upload_is_accepted_without_violations(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")

    message = await bot.send_document(
        alice.id,
        BufferedInputFile(b"receipt", filename="receipt.txt"),
        caption="<b>Receipt</b>",
        parse_mode="HTML",
    )

    assert message.document is not None
    assert message.caption == "Receipt"
    request = emu.calls("sendDocument")[0]
    assert str(request.params["document"]).startswith("attach://")
    assert [file.size for file in request.files.values()] == [7]
    assert emu.violations == []


async def test_an_uploaded_document_keeps_its_bytes_and_is_described_in_the_message(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")

    message = await bot.send_document(alice.id, BufferedInputFile(b"a,b\n1,2\n", "sales.csv"))

    assert message.document is not None
    assert (message.document.file_name, message.document.mime_type) == ("sales.csv", "text/csv")
    assert message.document.file_size == 8
    [uploaded] = emu.calls("sendDocument")[0].files.values()
    assert uploaded.content == b"a,b\n1,2\n"


async def test_get_chat_answers_what_aiogram_can_read_and_chat_not_found_for_strangers(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice", username="alice")

    chat = await bot.get_chat(alice.id)

    assert (chat.id, chat.type, chat.username) == (alice.id, "private", "alice")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(111)


async def test_a_document_must_be_a_file_part_that_is_there_and_not_empty(
    emu: BotAPIEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    alice = emu.user(first_name="Alice")

    with pytest.raises(TelegramBadRequest, match="file must be non-empty"):
        await bot.send_document(alice.id, BufferedInputFile(b"", "empty.csv"))
    status, body = await call(
        http, emu, "sendDocument", chat_id=alice.id, document="attach://missing"
    )

    assert status == 400 and "missing" in body["description"]
    assert emu.sent_messages() == []


# -- spec checks -----------------------------------------------------------------------------


async def test_unknown_field_is_a_violation_and_bad_request(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    alice = emu.user(first_name="Alice")

    status, body = await call(http, emu, "sendMessage", chat_id=alice.id, text="hi", colour="red")

    assert status == 400
    assert body["description"] == "Bad Request: sendMessage: unknown field 'colour'"
    assert emu.violations == ["sendMessage: unknown field 'colour'"]
    assert emu.sent_messages() == []


async def test_missing_required_field_is_a_violation(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    status, _ = await call(http, emu, "sendInvoice", chat_id=1, title="t", description="d")

    assert status == 400
    assert "sendInvoice: missing required field 'payload'" in emu.violations
    assert "sendInvoice: missing required field 'prices'" in emu.violations


async def test_mistyped_fields_are_violations_down_to_nested_objects(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    alice = emu.user(first_name="Alice")

    await call(http, emu, "getUpdates", limit="many")
    keyboard = {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy", "colour": "red"}]]}
    await call(http, emu, "sendMessage", chat_id=alice.id, text="hi", reply_markup=keyboard)

    assert emu.violations[0] == "getUpdates.limit: expected Integer, got str 'many'"
    assert "unknown field 'colour' of InlineKeyboardButton" in emu.violations[1]


async def test_fields_newer_than_the_spec_count_as_known_when_aiogram_defines_them(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    alice = emu.user(first_name="Alice")

    # reply_to_message_id left the published spec but aiogram's SendMessage still has it.
    status, _ = await call(
        http, emu, "sendMessage", chat_id=alice.id, text="hi", reply_to_message_id=1
    )

    assert status == 200
    assert emu.violations == []


async def test_stars_invoice_rules_are_checked(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")

    with pytest.raises(TelegramBadRequest, match="exactly one item"):
        await bot.send_invoice(
            chat_id=alice.id,
            title="Bundle",
            description="Two things",
            payload="bundle",
            currency="XTR",
            prices=[LabeledPrice(label="a", amount=10), LabeledPrice(label="b", amount=5)],
        )

    assert emu.violations == ["sendInvoice: prices must contain exactly one item for XTR"]


# -- getUpdates ------------------------------------------------------------------------------


async def test_updates_below_the_offset_are_confirmed_for_good(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    first = emu.send_text(alice, "one")
    second = emu.send_text(alice, "two")

    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == []
    assert await bot.get_updates() == []
    assert emu.confirmed_offset == second + 1


async def test_negative_offset_keeps_only_the_last_updates(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    ids = [emu.send_text(alice, str(n)) for n in range(4)]

    updates = await bot.get_updates(offset=-2)

    assert [u.update_id for u in updates] == ids[2:]
    assert [u.update_id for u in await bot.get_updates()] == ids[2:]


async def test_limit_and_allowed_updates_select_what_is_returned(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    message = await bot.send_message(
        alice.id,
        "Pick",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]
        ),
    )
    text_ids = [emu.send_text(alice, "one"), emu.send_text(alice, "two")]
    press_id = emu.press_button(alice, message, "a")

    assert [u.update_id for u in await bot.get_updates(limit=1)] == text_ids[:1]
    only_presses = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.update_id for u in only_presses] == [press_id]
    # allowed_updates sticks until changed, as on Telegram.
    assert [u.update_id for u in await bot.get_updates()] == [press_id]


async def test_long_poll_wakes_as_soon_as_an_update_is_queued(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await emu.wait_for("getUpdates", answered=False)

    update_id = emu.send_text(alice, "hello")
    updates = await asyncio.wait_for(poll, timeout=5)

    assert [u.update_id for u in updates] == [update_id]


async def test_long_poll_without_updates_answers_empty_after_its_timeout(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    assert await bot.get_updates(timeout=1) == []
    assert emu.calls("getUpdates")[0].result == []


async def test_a_second_poller_terminates_the_first_with_conflict(
    emu: BotAPIEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    first = asyncio.create_task(call(http, emu, "getUpdates", timeout=30))
    await emu.wait_for("getUpdates", answered=False)

    second = asyncio.create_task(bot.get_updates(timeout=1))
    status, body = await asyncio.wait_for(first, timeout=5)

    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    assert await second == []


async def test_drop_pending_updates_forgets_unconfirmed_updates(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    emu.send_text(alice, "lost")

    await bot.delete_webhook(drop_pending_updates=True)

    assert await bot.get_updates() == []


# -- users and messages ----------------------------------------------------------------------


async def test_user_text_is_a_message_update_with_a_bot_command_entity(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice", username="alice")
    bob = emu.user(first_name="Bob")

    update_id = emu.send_text(alice, "/buy@stars_shop_test_bot wallpapers")
    emu.send_text(bob, "hello")
    raw = emu.pending_updates

    update = assert_valid_update(emu, raw[0])
    assert update.update_id == update_id
    assert update.message is not None and update.message.from_user is not None
    assert update.message.from_user.id == alice.id != bob.id
    assert update.message.chat.type == "private"
    assert raw[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 24}]
    assert "entities" not in raw[1]["message"]
    second = (await bot.get_updates())[1].message
    assert second is not None and second.text == "hello"


async def test_sent_messages_carry_ids_chat_and_the_bot_as_sender(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    emu.send_text(alice, "/start")

    first = await bot.send_message(alice.id, "Welcome!")
    second = await bot.send_message(alice.id, "Catalog")

    assert (first.message_id, second.message_id) == (2, 3)
    assert first.from_user is not None and first.from_user.id == 123456
    assert [m["text"] for m in emu.sent_messages(alice.id)] == ["Welcome!", "Catalog"]
    assert emu.spec.check_object("Message", emu.sent_messages()[0]) == []


async def test_message_to_a_chat_that_never_started_the_bot_is_chat_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "hello?")


async def test_html_is_parsed_into_entities_like_telegram(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")

    message = await bot.send_message(
        alice.id,
        '<b>Pack</b> for 25 ⭐ &lt;3 <a href="https://t.me/x">link</a>',
        parse_mode="HTML",
    )

    assert message.text == "Pack for 25 ⭐ <3 link"
    entities = [(e.type, e.offset, e.length, e.url) for e in message.entities or []]
    assert entities == [("bold", 0, 4, None), ("text_link", 17, 4, "https://t.me/x")]


@pytest.mark.parametrize(
    ("source", "mode", "text", "entities"),
    [
        (
            "😀 <b>a <i>b</i></b>",
            "HTML",
            "😀 a b",
            [("bold", 3, 3), ("italic", 5, 1)],
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "HTML",
            "x = 1",
            [("pre", 0, 5)],
        ),
        (
            r"*Pack* costs 25 ⭐\. [More](https://t.me/shop)",
            "MarkdownV2",
            "Pack costs 25 ⭐. More",
            [("bold", 0, 4), ("text_link", 17, 4)],
        ),
        ("*not parsed*", None, "*not parsed*", []),
    ],
)
def test_parse_modes_give_plain_text_and_utf16_entities(
    source: str, mode: str | None, text: str, entities: list[tuple[str, int, int]]
) -> None:
    parsed_text, parsed_entities = format_text(source, mode)

    assert parsed_text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed_entities] == entities


async def test_unescaped_markup_is_cant_parse_entities(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")

    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "3"'):
        await bot.send_message(alice.id, "I <3 stars", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match=r"Character '\.' is reserved"):
        await bot.send_message(alice.id, "Thanks.", parse_mode="MarkdownV2")

    assert emu.sent_messages() == []


async def test_edit_replaces_text_drops_keyboard_and_rejects_identical_edit(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Buy", callback_data="buy:1")]]
    )
    sent = await bot.send_message(alice.id, "Pack", reply_markup=keyboard)

    edited = await bot.edit_message_text(
        "Pack (sold)", chat_id=alice.id, message_id=sent.message_id
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Pack (sold)", chat_id=alice.id, message_id=sent.message_id)

    assert isinstance(edited, Message) and edited.edit_date is not None
    assert edited.reply_markup is None
    assert [m["text"] for m in emu.chat_history(alice.id)] == ["Pack (sold)"]


async def test_button_press_is_a_callback_query_answered_once(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Buy", callback_data="buy:1")]]
    )
    sent = await bot.send_message(alice.id, "Pack", reply_markup=keyboard)

    emu.press_button(alice, emu.sent_messages(alice.id)[-1], "buy:1")
    with pytest.raises(ValueError, match="no button"):
        emu.press_button(alice, emu.sent_messages(alice.id)[-1], "buy:2")
    update = assert_valid_update(emu, emu.pending_updates[0])
    query = update.callback_query
    assert query is not None and query.data == "buy:1"
    assert query.message is not None and query.message.message_id == sent.message_id

    await bot.answer_callback_query(query.id, text="Added")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    assert emu.callback_answers[query.id]["text"] == "Added"
    assert_answers_match_spec(emu)


async def test_callback_data_over_64_bytes_is_rejected_and_a_violation(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Buy", callback_data="é" * 33)]]
    )

    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "Pack", reply_markup=keyboard)

    assert emu.violations == ["sendMessage: callback_data must be 1-64 bytes, got 66"]
    assert emu.sent_messages(alice.id) == []


async def test_callback_answer_over_200_characters_is_rejected_and_a_violation(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    message = await bot.send_message(
        alice.id,
        "Pack",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Buy", callback_data="buy")]]
        ),
    )
    emu.press_button(alice, message, "buy")
    query_id = emu.pending_updates[0]["callback_query"]["id"]

    # 101 emoji are 202 UTF-16 units, as Telegram counts them.
    with pytest.raises(TelegramBadRequest, match="Bad Request: MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="⭐" * 190 + "🌟" * 6)

    assert emu.violations == ["answerCallbackQuery: text is 202 characters; the limit is 200"]
    assert query_id not in emu.callback_answers
    assert await bot.answer_callback_query(query_id, text="⭐" * 200)


@pytest.mark.parametrize("edit", [False, True], ids=["send", "edit"])
async def test_text_over_4096_utf16_units_is_rejected_and_a_violation(
    emu: BotAPIEmulator, bot: Bot, edit: bool
) -> None:
    alice = emu.user(first_name="Alice")
    # 2049 characters, but 4098 UTF-16 units once parsed; the tags do not count.
    text = "<b>" + "🌟" * 2049 + "</b>"
    fits = "<b>" + "🌟" * 2048 + "</b>"

    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        if edit:
            sent = await bot.send_message(alice.id, fits, parse_mode="HTML")
            await bot.edit_message_text(
                text, chat_id=alice.id, message_id=sent.message_id, parse_mode="HTML"
            )
        else:
            await bot.send_message(alice.id, text, parse_mode="HTML")

    method = "editMessageText" if edit else "sendMessage"
    breach = "text is 4098 UTF-16 units after parsing; the limit is 4096"
    assert emu.violations == [f"{method}: {breach}"]


async def test_invoice_payload_over_128_bytes_is_rejected_and_a_violation(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")

    with pytest.raises(TelegramBadRequest, match="payload"):
        await send_stars_invoice(bot, alice.id, payload="p" * 129)

    assert emu.violations == ["sendInvoice: payload must be 1-128 bytes"]
    assert emu.invoices == []


async def test_commands_are_stored_per_scope_and_language(bot: Bot) -> None:
    commands = [BotCommand(command="buy", description="Buy something")]

    await bot.set_my_commands(commands)
    await bot.set_my_commands(
        [BotCommand(command="kaufen", description="Kaufen")], language_code="de"
    )

    stored = await bot.get_my_commands()
    assert [(c.command, c.description) for c in stored] == [("buy", "Buy something")]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["kaufen"]


async def test_methods_without_special_handling_still_answer(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")

    assert await bot.set_my_description("A shop") is True
    photo = await bot.send_photo(alice.id, BufferedInputFile(b"png", filename="p.png"))

    assert photo.photo
    assert [r.method for r in emu.requests] == ["setMyDescription", "sendPhoto"]
    assert emu.violations == []
    assert_answers_match_spec(emu)


# -- Stars payments --------------------------------------------------------------------------


async def test_invoice_message_carries_the_invoice(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")

    message = await send_stars_invoice(bot, alice.id, payload="product:7")

    assert message.invoice is not None
    assert (message.invoice.currency, message.invoice.total_amount) == ("XTR", 25)
    assert message.invoice.start_parameter == ""
    stored = emu.invoices[0]
    assert (stored.chat_id, stored.message_id, stored.payload) == (alice.id, 1, "product:7")


async def test_approved_checkout_delivers_successful_payment_and_ledger_entry(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    invoice = await send_stars_invoice(bot, alice.id)

    payment = asyncio.create_task(emu.pay(alice, invoice))
    query_id = await answer_next_pre_checkout(bot, emu)
    result = await payment

    assert result.ok and result.error_message is None and result.answered_in is not None
    assert result.charge_id is not None and result.charge_id.startswith("stx")
    update = next(
        u for u in emu.pending_updates if u["update_id"] == result.successful_payment_update_id
    )
    payment_message = assert_valid_update(emu, update).message
    assert payment_message is not None and payment_message.successful_payment is not None
    successful = payment_message.successful_payment
    assert successful.telegram_payment_charge_id == result.charge_id
    assert (successful.total_amount, successful.invoice_payload) == (25, "product:1")
    assert successful.provider_payment_charge_id
    assert emu.charges[result.charge_id].user_id == alice.id
    assert emu.star_balance == 25
    assert emu.calls("answerPreCheckoutQuery")[0].params["pre_checkout_query_id"] == query_id
    assert_answers_match_spec(emu)


async def test_declined_checkout_reports_the_bots_error_message(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    invoice = await send_stars_invoice(bot, alice.id)

    payment = asyncio.create_task(emu.pay(alice, invoice))
    await answer_next_pre_checkout(bot, emu, ok=False)
    result = await payment

    assert (result.ok, result.error_message, result.charge_id) == (
        False,
        "Sold out, try tomorrow.",
        None,
    )
    assert emu.charges == {}


async def test_unanswered_checkout_times_out_and_a_late_answer_is_too_old(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")

    result = await emu.pay(alice, payload="product:1", total_amount=25, timeout=0.2)
    query = (await bot.get_updates())[0].pre_checkout_query

    assert (result.ok, result.error_message) == (False, "timeout")
    assert isinstance(query, PreCheckoutQuery)
    assert emu.unanswered_pre_checkouts[0]["id"] == query.id
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_pre_checkout_query(query.id, ok=True)
    assert emu.charges == {}


async def test_pay_can_use_a_forged_payload_and_amount(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    invoice = await send_stars_invoice(bot, alice.id)

    payment = asyncio.create_task(emu.pay(alice, invoice, payload="product:999", total_amount=1))
    query = await next_pre_checkout(bot, emu)
    await bot.answer_pre_checkout_query(query.id, ok=False, error_message="Unknown product.")
    result = await payment

    assert (query.invoice_payload, query.total_amount) == ("product:999", 1)
    assert (result.ok, result.error_message) == (False, "Unknown product.")


async def test_redelivered_payment_has_the_same_content_under_a_new_update_id(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    await paid(bot, emu, alice)
    original_id = max(emu.telegram.updates.history)

    copy_id = emu.redeliver(original_id)

    original = emu.telegram.updates.history[original_id]
    duplicate = emu.telegram.updates.history[copy_id]
    assert copy_id > original_id
    assert duplicate["message"] == original["message"]
    assert [u["update_id"] for u in emu.pending_updates][-2:] == [original_id, copy_id]


async def test_payment_while_bot_down_is_only_in_the_ledger(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")

    charge_id = emu.pay_while_bot_down(alice, payload="product:3", total_amount=40)
    transactions = (await bot.get_star_transactions()).transactions

    assert emu.pending_updates == []
    assert [t.id for t in transactions] == [charge_id]
    source = transactions[0].source
    assert isinstance(source, TransactionPartnerUser)
    assert source.invoice_payload == "product:3"


async def test_refund_errors_are_the_ones_telegram_gives(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    bob = emu.user(first_name="Bob")
    charge_id = await paid(bot, emu, alice)

    with pytest.raises(TelegramBadRequest, match="CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(alice.id, "stxNoSuchCharge")
    with pytest.raises(TelegramBadRequest, match="USER_ID_INVALID"):
        await bot.refund_star_payment(bob.id, charge_id)
    assert await bot.refund_star_payment(alice.id, charge_id) is True
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(alice.id, charge_id)

    assert emu.charges[charge_id].refunded is True
    assert emu.star_balance == 0


async def test_refund_adds_an_outgoing_transaction_and_a_refunded_payment_message(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    charge_id = await paid(bot, emu, alice)

    await bot.refund_star_payment(alice.id, charge_id)

    incoming, refund = (await bot.get_star_transactions()).transactions
    assert incoming.id == refund.id == charge_id
    assert incoming.source is not None and refund.source is None
    assert isinstance(refund.receiver, TransactionPartnerUser)
    assert refund.receiver.user.id == alice.id
    message = assert_valid_update(emu, emu.pending_updates[-1]).message
    assert message is not None and message.refunded_payment is not None
    assert message.refunded_payment.telegram_payment_charge_id == charge_id
    assert message.chat.id == alice.id
    assert_answers_match_spec(emu)


async def test_refund_outside_the_bot_can_skip_the_notification(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    quiet = emu.pay_while_bot_down(alice, payload="p:1", total_amount=10)
    loud = emu.pay_while_bot_down(alice, payload="p:2", total_amount=10)

    assert emu.refund_outside_bot(quiet, notify=False) is None
    update_id = emu.refund_outside_bot(loud)

    assert [u["update_id"] for u in emu.pending_updates] == [update_id]
    assert emu.charges[quiet].refunded and emu.charges[loud].refunded
    assert len(emu.star_transactions) == 4


async def test_star_transactions_page_by_offset_and_limit(
    emu: BotAPIEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    alice = emu.user(first_name="Alice")
    charges = [emu.pay_while_bot_down(alice, f"p:{n}", 10 + n) for n in range(5)]

    page = (await bot.get_star_transactions(offset=1, limit=2)).transactions

    assert [t.id for t in page] == charges[1:3]
    assert [t.amount for t in page] == [11, 12]
    assert (await bot.get_star_transactions(offset=4)).transactions[0].id == charges[4]
    assert (await bot.get_star_transactions(offset=5)).transactions == []
    for limit in (0, 101):
        status, _ = await call(http, emu, "getStarTransactions", limit=limit)
        assert status == 400


# -- invoice links and subscriptions --------------------------------------------------------

SUBSCRIPTION_PERIOD = 2592000


async def subscription_link(bot: Bot, **overrides: Any) -> str:
    params: dict[str, Any] = {
        "title": "Club",
        "description": "Monthly club",
        "payload": "club:1",
        "currency": "XTR",
        "prices": [LabeledPrice(label="Club", amount=75)],
        "subscription_period": SUBSCRIPTION_PERIOD,
    }
    return await bot.create_invoice_link(**{**params, **overrides})


async def subscribed(bot: Bot, emu: BotAPIEmulator, user: User) -> str:
    """A user pays a subscription's link; returns the first charge id."""
    link = await subscription_link(bot)
    payment = asyncio.create_task(emu.pay_link(user, link))
    await answer_next_pre_checkout(bot, emu)
    result = await payment
    assert result.ok and result.charge_id is not None
    return result.charge_id


def successful_payment_of(emu: BotAPIEmulator, update_id: int | None) -> Any:
    update = next(u for u in emu.pending_updates if u["update_id"] == update_id)
    message = assert_valid_update(emu, update).message
    assert message is not None and message.successful_payment is not None
    return message.successful_payment


async def test_invoice_links_refuse_any_period_but_30_days_any_currency_but_stars_and_over_10000(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    link = await subscription_link(bot)
    assert link.startswith("https://t.me/$") and emu.invoice_links[link].subscription_period
    plain = await subscription_link(bot, subscription_period=None)
    assert emu.invoice_links[plain].subscription_period is None
    refused: list[tuple[dict[str, Any], str]] = [
        ({"subscription_period": 604800}, "SUBSCRIPTION_PERIOD_INVALID"),
        ({"currency": "USD", "provider_token": "p"}, "CURRENCY_INVALID"),
        ({"prices": [LabeledPrice(label="Club", amount=10001)]}, "SUBSCRIPTION_PRICE_INVALID"),
    ]
    for overrides, answer in refused:
        with pytest.raises(TelegramBadRequest, match=answer):
            await subscription_link(bot, **overrides)
    assert len(emu.violations) == 3
    emu.violations.clear()


async def test_paying_a_link_starts_a_subscription_and_renewals_are_new_charges(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    link = await subscription_link(bot)
    payment = asyncio.create_task(emu.pay_link(alice, link))
    await answer_next_pre_checkout(bot, emu)
    first = await payment
    assert first.ok and first.charge_id is not None
    paid = successful_payment_of(emu, first.successful_payment_update_id)
    subscription = emu.subscriptions[first.charge_id]
    assert (paid.is_recurring, paid.is_first_recurring) == (True, True)
    assert paid.subscription_expiration_date == subscription.expiration_date
    assert paid.invoice_payload == "club:1" and paid.total_amount == 75

    renewal = emu.renew(first.charge_id)
    assert renewal.charge_id not in (None, first.charge_id)
    renewed = successful_payment_of(emu, renewal.successful_payment_update_id)
    assert (renewed.is_recurring, renewed.is_first_recurring) == (True, None)
    assert renewed.subscription_expiration_date == paid.subscription_expiration_date + (
        SUBSCRIPTION_PERIOD
    )
    assert renewed.invoice_payload == "club:1"
    quiet = emu.renew(renewal.charge_id or "", deliver=False)  # a charge of it renews it too
    assert quiet.successful_payment_update_id is None
    transactions = (await bot.get_star_transactions()).transactions
    assert [t.id for t in transactions] == [first.charge_id, renewal.charge_id, quiet.charge_id]
    for transaction in transactions:
        assert isinstance(transaction.source, TransactionPartnerUser)
        assert transaction.source.subscription_period == SUBSCRIPTION_PERIOD
    assert emu.star_balance == 225
    assert_answers_match_spec(emu)


async def test_edit_user_star_subscription_takes_only_a_first_charge_of_that_user(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice, bob = emu.user(first_name="Alice"), emu.user(first_name="Bob")
    first = await subscribed(bot, emu, alice)
    renewal = emu.renew(first).charge_id or ""
    one_time = emu.pay_while_bot_down(alice, payload="gold:1", total_amount=25)
    for charge_id in ("stxNoSuchCharge", renewal, one_time):
        with pytest.raises(TelegramBadRequest, match="CHARGE_ID_INVALID"):
            await bot.edit_user_star_subscription(alice.id, charge_id, is_canceled=True)
    with pytest.raises(TelegramBadRequest, match="USER_ID_INVALID"):
        await bot.edit_user_star_subscription(bob.id, first, is_canceled=True)
    assert not emu.subscriptions[first].canceled_by_bot

    assert await bot.edit_user_star_subscription(alice.id, first, is_canceled=True) is True
    with pytest.raises(ValueError, match="does not renew"):
        emu.renew(first)
    assert await bot.edit_user_star_subscription(alice.id, first, is_canceled=False) is True
    assert emu.renew(first).ok


# -- failure modes ---------------------------------------------------------------------------


async def test_injected_429_reaches_aiogram_as_retry_after_and_changes_nothing(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    emu.inject("sendMessage", Fault(status=429, retry_after=3))

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(alice.id, "hi")
    await bot.send_message(alice.id, "hi again")

    assert caught.value.retry_after == 3
    assert emu.calls("sendMessage")[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert emu.calls("sendMessage")[0].fault is not None
    assert [m["text"] for m in emu.chat_history(alice.id)] == ["hi again"]


async def test_faulted_refund_does_not_refund(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    charge_id = emu.pay_while_bot_down(alice, "p:1", 10)
    emu.inject("refundStarPayment", Fault(status=500))

    with pytest.raises(TelegramServerError):
        await bot.refund_star_payment(alice.id, charge_id)

    assert emu.charges[charge_id].refunded is False
    assert await bot.refund_star_payment(alice.id, charge_id) is True


async def test_injected_502_is_nginx_html_that_aiogram_cannot_decode(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    emu.inject("getMe", Fault(status=502), times=2)

    for _ in range(2):
        with pytest.raises(ClientDecodeError):
            await bot.get_me()

    assert (await bot.get_me()).id == 123456
    assert "502 Bad Gateway" in emu.calls("getMe")[0].response


async def test_malformed_answer_fails_in_aiohttp_with_the_request_url(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    emu.inject("getMe", MALFORMED)

    with pytest.raises(TelegramNetworkError, match="ClientResponseError") as failed:
        await bot.get_me()

    # What the bot must never log or show: aiohttp names the URL, and the URL holds the token.
    assert f"/bot{TOKEN}/getMe" in str(failed.value)
    [call] = emu.calls("getMe")
    assert call.status == NO_HTTP_ANSWER and "banana" in call.response
    assert (await bot.get_me()).id == 123456


async def test_not_utf8_page_quotes_the_url_and_fails_to_decode_in_aiohttp(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    emu.inject("getMe", NOT_UTF8_PAGE)

    # Not an aiogram error: aiohttp cannot decode the page, which holds the URL and the token.
    with pytest.raises(UnicodeDecodeError) as failed:
        await bot.get_me()

    assert f"POST /bot{TOKEN}/getMe" in repr(failed.value)
    [call] = emu.calls("getMe")
    assert call.status == 502 and "Proxy Error" in call.response
    assert (await bot.get_me()).id == 123456


async def test_slow_answer_times_the_client_out_but_the_message_is_still_sent(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    emu.inject("sendMessage", Fault(status=None, delay=1.5))

    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice.id, "slow", request_timeout=1)
    request = await emu.wait_for("sendMessage", timeout=5)

    assert request.ok
    assert [m["text"] for m in emu.chat_history(alice.id)] == ["slow"]


async def test_message_rate_limit_answers_429_above_the_limit(
    emu: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    alice = emu.user(first_name="Alice")
    emu.message_rate_limit = 3

    statuses = [
        (await call(http, emu, "sendMessage", chat_id=alice.id, text=str(n)))[0] for n in range(5)
    ]
    answered = await call(http, emu, "getMe")

    assert statuses == [200, 200, 200, 429, 429]
    assert answered[0] == 200
    assert emu.rate_limited == 2
    assert emu.calls("sendMessage")[-1].response["parameters"] == {"retry_after": 1}
    assert len(emu.chat_history(alice.id)) == 3


async def test_blocked_user_is_forbidden_and_the_bot_hears_about_it(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")

    emu.block(alice.id)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "hello")
    with pytest.raises(TelegramForbiddenError):
        await send_stars_invoice(bot, alice.id)
    update = assert_valid_update(emu, emu.pending_updates[0])
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"


async def test_a_group_carries_its_members_messages_and_the_bots_answers(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice, bob = emu.user(first_name="Alice"), emu.user(first_name="Bob")
    group, team = emu.group("Buyers"), emu.group("Team", supergroup=True)

    emu.send_text(alice, "/shop", chat=group)
    emu.send_text(bob, "hi", chat=team)
    [first, second] = [assert_valid_update(emu, u) for u in emu.pending_updates]
    sent = await bot.send_message(group.id, "hello, group")

    assert first.message is not None and second.message is not None
    assert first.message.chat.type == "group" and first.message.chat.title == "Buyers"
    assert first.message.from_user is not None and first.message.from_user.id == alice.id
    assert first.message.text == "/shop" and first.message.entities is not None
    assert second.message.chat.type == "supergroup" and str(second.message.chat.id)[:4] == "-100"
    assert group.id < 0 and team.id < 0 and group.id != team.id
    assert sent.chat.id == group.id and sent.message_id == 2
    assert [m["text"] for m in emu.chat_history(group.id)] == ["/shop", "hello, group"]
    assert emu.chat_history(alice.id) == []


async def test_a_group_where_the_bot_may_not_write_refuses_as_telegram_does(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    muted = emu.group("Read only", supergroup=True, can_send=False)

    with pytest.raises(TelegramBadRequest, match="not enough rights to send text messages"):
        await bot.send_message(muted.id, "hello")
    assert emu.chat_history(muted.id) == []


async def test_telegram_outage_refuses_connections_then_resumes_with_state(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    pending = emu.send_text(alice, "sent during the outage")
    port = emu.port

    await emu.stop()
    with pytest.raises(TelegramNetworkError):
        await bot.get_me()
    await emu.start()

    assert emu.port == port
    assert [u.update_id for u in await bot.get_updates()] == [pending]


async def test_on_request_hook_sees_each_request_before_it_is_handled(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    seen: list[tuple[str, int | None]] = []
    emu.on_request = lambda request: seen.append((request.method, request.status))

    await bot.send_message(alice.id, "hi")

    assert seen == [("sendMessage", None)]


async def test_wait_for_timeout_names_what_was_missing_and_recent_requests(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    await bot.get_me()

    with pytest.raises(TimeoutError) as caught:
        await emu.wait_for("sendInvoice", timeout=0.2)

    assert "no 1 sendInvoice within 0.2 s" in str(caught.value)
    assert "getMe({}) -> 200" in str(caught.value)


# -- a real dispatcher polling the emulator --------------------------------------------------


async def test_aiogram_dispatcher_polls_the_emulator_through_a_whole_purchase(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    router = Router()

    @router.message(CommandStart())
    async def on_start(message: Message) -> None:
        await send_stars_invoice(bot, message.chat.id)

    @router.pre_checkout_query()
    async def on_pre_checkout(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    @router.message(F.successful_payment)
    async def on_paid(message: Message) -> None:
        await message.answer("Thanks! Here is your pack.")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    alice = emu.user(first_name="Alice")
    start = emu.mark()

    emu.send_text(alice, "/start")
    invoice = await emu.wait_for_message(alice.id, since=start)
    result = await emu.pay(alice, invoice)
    thanks = await emu.wait_for_message(alice.id, text_contains="Thanks", since=start)
    await emu.wait_confirmed(result.successful_payment_update_id or 0)
    await dispatcher.stop_polling()
    await polling

    assert result.ok
    assert thanks["text"] == "Thanks! Here is your pack."
    assert emu.violations == []
    assert_answers_match_spec(emu)


@pytest.mark.slow
async def test_a_child_process_bot_can_be_killed_at_an_exact_request(
    emu: BotAPIEmulator, tmp_path: Path
) -> None:
    alice = emu.user(first_name="Alice")
    child = children.start(
        "tests.echo_bot",
        env={**os.environ, "API_BASE": emu.base_url, "BOT_TOKEN": TOKEN},
        cwd=tmp_path,
        stdout=tmp_path / "echo_bot.log",
    )

    def kill_on_second_reply(request: Request) -> None:
        if request.method == "sendMessage" and request.params["text"] == "echo: two":
            os.kill(child.pid, signal.SIGKILL)

    emu.on_request = kill_on_second_reply
    try:
        emu.send_text(alice, "one")
        first = await emu.wait_for_message(alice.id, text_contains="echo: one", timeout=20)
        emu.send_text(alice, "two")
        returncode = await asyncio.wait_for(child.wait(), timeout=20)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()

    assert first["text"] == "echo: one"
    assert returncode == -signal.SIGKILL
    # Telegram still carried out the request the bot died in.
    assert [m["text"] for m in emu.chat_history(alice.id)][-1] == "echo: two"
    assert emu.violations == []


def test_bot_api_spec_is_kept_inside_the_repository():
    """A user's clone has only the repository: the spec the emulator checks against is in it."""
    repository = Path(__file__).resolve().parents[2]
    assert DEFAULT_SPEC_PATH.is_relative_to(repository)
    assert BotAPISpec.load(DEFAULT_SPEC_PATH).method("sendMessage") is not None
