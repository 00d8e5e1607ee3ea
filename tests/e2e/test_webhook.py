"""Webhook mode end to end: Telegram (the emulator) posts each update to the bot's server,
through a route that plays the TLS-terminating reverse proxy."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.app import run_bot
from bot.catalog import load_catalog
from bot.config import ConfigError
from bot.inbox.webhook import SECRET_HEADER
from emulator import Fault, User
from storage import InboxStatus
from tests.helpers import (
    ADMIN_ID,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    RunningBot,
    buy,
    eventually,
    hold_write_lock,
    inbox_rows,
    say,
    sqlite_only,
    wait_handled,
)

WEBHOOK_PATH = urlsplit(WEBHOOK_URL).path
HELP_REPLY = "/shop"  # what the answer to /help mentions


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession, bot: RunningBot, body: bytes, secret: str | None
) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with http.post(bot.webhook_address(WEBHOOK_PATH), data=body, headers=headers) as r:
        return r.status


async def health(http: aiohttp.ClientSession, bot: RunningBot) -> tuple[int, str]:
    async with http.get(bot.webhook_address("/healthz")) as response:
        return response.status, await response.text()


def replies_to(emulator, user_id: int, containing: str) -> list[dict]:
    return [m for m in emulator.sent_messages(user_id) if containing in m.get("text", "")]


# -- the flows ---------------------------------------------------------------------------------


async def test_a_purchase_comes_in_through_the_webhook_each_update_posted_once(
    emulator, webhook_shop
):
    buyer = emulator.user("Wanda")

    paid = await buy(emulator, buyer, "gold")

    [set_webhook] = emulator.calls("setWebhook")
    assert set_webhook.params["url"] == WEBHOOK_URL
    assert set_webhook.params["secret_token"] == WEBHOOK_SECRET
    assert set_webhook.params["max_connections"] == 40
    assert "pre_checkout_query" in set_webhook.params["allowed_updates"]
    assert not set_webhook.params.get("drop_pending_updates")
    assert emulator.calls("getUpdates") == []
    assert len(emulator.calls("answerPreCheckoutQuery")) == 1
    assert paid.successful_payment_update_id is not None
    await wait_handled(webhook_shop, paid.successful_payment_update_id)
    posted = [attempt.update_id for attempt in emulator.webhook.attempts]
    assert len(posted) == len(set(posted)) >= 3  # /buy, the pre-checkout, the payment
    assert all(attempt.status == 200 for attempt in emulator.webhook.attempts)
    assert emulator.webhook.attempts[0].target.endswith(WEBHOOK_PATH)
    assert emulator.pending_updates == []


async def test_a_refund_comes_in_through_the_webhook(emulator, webhook_shop):
    buyer = emulator.user("Ward")
    paid = await buy(emulator, buyer, "gold")
    admin = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")

    reply = await say(emulator, admin, f"/refund {paid.charge_id}")

    assert "Refunded 25 ⭐" in reply["text"]
    assert emulator.charges[paid.charge_id or ""].refunded
    await emulator.wait_for_message(buyer.id, text_contains="was refunded to your Stars balance")
    refunded = [
        update_id
        for update_id, update in emulator.telegram.updates.history.items()
        if "refunded_payment" in update.get("message", {})
    ]
    assert refunded
    await wait_handled(webhook_shop, *refunded)


# -- requests that are not Telegram's ---------------------------------------------------------


async def test_requests_without_the_right_secret_get_403_and_one_log_line_without_the_body(
    emulator, webhook_shop, http, log
):
    body = b'{"update_id": 77, "message": {"text": "BODY-MARKER"}}'

    wrong = await post(http, webhook_shop, body, "not-the-secret-" + "x" * 30)
    missing = await post(http, webhook_shop, body, None)

    assert (wrong, missing) == (403, 403)
    refused = [line for line in log if "without the right" in line]
    assert len(refused) == 1 and "403" in refused[0]
    assert not any("BODY-MARKER" in line or WEBHOOK_SECRET in line for line in log)
    assert await inbox_rows(webhook_shop, 77) == {}


NOT_UPDATES = [
    b"not json",
    b"[1, 2]",
    b'{"message": {}}',
    b'{"update_id": "7"}',
    b'{"update_id": true}',
]


async def test_a_body_that_is_not_an_update_gets_400_and_a_line_without_its_content(
    emulator, webhook_shop, http, log
):
    for body in NOT_UPDATES:
        assert await post(http, webhook_shop, body, WEBHOOK_SECRET) == 400

    lines = [line for line in log if "not an update" in line]
    assert len(lines) == len(NOT_UPDATES)
    for line, body in zip(lines, NOT_UPDATES, strict=True):
        assert f"({len(body)} bytes)" in line and body.decode() not in line


# -- a database that cannot be written -------------------------------------------------------


@pytest.mark.slow
@sqlite_only
async def test_an_update_that_cannot_be_stored_gets_503_and_is_handled_once_when_sent_again(
    emulator, webhook_shop, db_path
):
    asker = emulator.user("Wes")
    release, locked = threading.Event(), threading.Event()
    holder = asyncio.ensure_future(asyncio.to_thread(hold_write_lock, db_path, release, locked))
    await asyncio.to_thread(locked.wait, 10)
    try:
        update_id = emulator.send_text(asker, "/help")
        refused = await emulator.wait_for_webhook(update_id, taken=False, timeout=30)
    finally:
        release.set()
        await holder

    assert refused.status == 503
    taken = await emulator.wait_for_webhook(update_id, timeout=30)
    assert taken.status == 200
    await emulator.wait_for_message(asker.id, text_contains=HELP_REPLY)
    await wait_handled(webhook_shop, update_id)
    assert len(replies_to(emulator, asker.id, HELP_REPLY)) == 1
    assert emulator.webhook.last_error_message == (
        "Wrong response from the webhook: 503 Service Unavailable"
    )


@sqlite_only
async def test_healthz_answers_503_while_the_database_cannot_be_written(
    emulator, webhook_shop, http, db_path
):
    assert await health(http, webhook_shop) == (200, "ok\n")
    release, locked = threading.Event(), threading.Event()
    holder = asyncio.ensure_future(asyncio.to_thread(hold_write_lock, db_path, release, locked))
    await asyncio.to_thread(locked.wait, 10)
    try:
        status, reason = await health(http, webhook_shop)
    finally:
        release.set()
        await holder

    assert status == 503
    assert reason.count("\n") == 1 and "the database took no write within 2s" in reason

    async def healthy_again() -> bool:
        return (await health(http, webhook_shop))[0] == 200

    await eventually(healthy_again, timeout=15)


# -- switching between polling and webhook mode ----------------------------------------------


async def test_from_polling_to_webhook_no_update_is_lost_or_handled_twice(emulator, start_bot):
    first, second = emulator.user("Polly"), emulator.user("Webb")
    polling = await start_bot()
    # Stored and handled, but never confirmed: Telegram still holds it at the switch.
    emulator.inject("getUpdates", Fault(status=500), times=20)
    held = emulator.send_text(first, "/help")
    await wait_handled(polling, held)
    await polling.stop()
    assert held in [u["update_id"] for u in emulator.pending_updates]
    while_down = emulator.send_text(second, "/help")

    webhook = await start_bot(webhook=True)

    await emulator.wait_for_webhook(held)
    await wait_handled(webhook, while_down)
    assert len(replies_to(emulator, first.id, HELP_REPLY)) == 1
    assert len(replies_to(emulator, second.id, HELP_REPLY)) == 1
    assert (await inbox_rows(webhook, held))[held].status == InboxStatus.DONE
    assert emulator.pending_updates == []


async def test_from_webhook_to_polling_no_update_is_lost_or_handled_twice(emulator, start_bot):
    first, second = emulator.user("Hook"), emulator.user("Pole")
    webhook = await start_bot(webhook=True)
    handled = emulator.send_text(first, "/help")
    await wait_handled(webhook, handled)
    await webhook.stop()
    while_down = emulator.send_text(second, "/help")
    await emulator.wait_for_webhook(while_down, taken=False)  # nobody listens

    polling = await start_bot()

    await wait_handled(polling, while_down)
    await emulator.wait_for_message(second.id, text_contains=HELP_REPLY)
    [delete] = emulator.calls("deleteWebhook")
    assert not delete.params.get("drop_pending_updates")
    assert len(replies_to(emulator, first.id, HELP_REPLY)) == 1
    assert len(replies_to(emulator, second.id, HELP_REPLY)) == 1
    assert emulator.webhook.url == ""
    assert emulator.deliveries[handled] == 1


# -- start and stop --------------------------------------------------------------------------


async def test_set_webhook_is_tried_again_until_it_succeeds_and_never_logs_the_secret(
    emulator, start_bot, log
):
    emulator.inject("setWebhook", Fault(status=500), times=2)
    webhook = await start_bot(webhook=True)  # returns once the first setWebhook is answered

    async def webhook_set() -> bool:
        return "webhook set: Telegram posts updates to shop.example.com" in log

    await eventually(webhook_set, timeout=15)
    failed = [line for line in log if line.startswith("setWebhook failed")]
    assert [line.rpartition("retrying in ")[2] for line in failed] == ["1s", "2s"]
    assert [r.status for r in emulator.calls("setWebhook")] == [500, 500, 200]
    assert not any(WEBHOOK_SECRET in line or WEBHOOK_PATH in line for line in log)
    buyer = emulator.user("Sam")
    await buy(emulator, buyer, "gold")
    await webhook.stop()
    assert emulator.webhook.url == WEBHOOK_URL  # left for the next start


async def test_a_stopping_bot_answers_503_to_new_updates_which_telegram_keeps(
    emulator, start_bot, http
):
    started, release = asyncio.Event(), asyncio.Event()
    router = Router()

    @router.message(Command("slow"))
    async def slow(message: Message) -> None:
        started.set()
        await release.wait()

    webhook = await start_bot(routers=[router], webhook=True)
    emulator.send_text(emulator.user("Sly"), "/slow")
    await started.wait()
    stopping = asyncio.ensure_future(webhook.stop())

    async def refusing() -> bool:
        return await health(http, webhook) == (503, "stopping\n")

    await eventually(refusing)
    late = emulator.send_text(emulator.user("Late"), "/slow")
    refused = await emulator.wait_for_webhook(late, taken=False)
    release.set()
    await stopping

    assert refused.status == 503
    assert late in [update["update_id"] for update in emulator.pending_updates]
    assert await inbox_rows(webhook, late) == {}


async def test_a_listen_address_in_use_stops_the_bot_with_one_line(make_settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        settings = make_settings(
            webhook_url=WEBHOOK_URL, webhook_secret=WEBHOOK_SECRET, webhook_listen=listen
        )
        catalog = load_catalog(settings.catalog_path, settings.default_language)
        with pytest.raises(ConfigError) as error:
            await run_bot(settings, catalog, asyncio.Event(), handle_signals=False)

    assert str(error.value) == (
        f"cannot listen on WEBHOOK_LISTEN={listen}: Address already in use; choose another "
        "port, or stop what uses it"
    )
