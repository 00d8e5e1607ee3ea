"""The emulator's webhook: setWebhook, deleteWebhook and getWebhookInfo as Telegram answers
them, and each update posted to the webhook (through a route, as through a reverse proxy)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiohttp import web

from emulator import BotAPIEmulator
from tests.helpers import eventually

URL = "https://hooks.example.com/updates?from=telegram"
SECRET = "a-secret_token-0123456789"


class Receiver:
    """A webhook server: records each request, answers with `status(update)`, and holds every
    request while `gate` is clear."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.status: Callable[[dict[str, Any]], int] = lambda _: 200
        self.gate = asyncio.Event()
        self.gate.set()
        self.open = 0
        self.most_open = 0
        self._runner: web.AppRunner | None = None
        self.address = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._take)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.address = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _take(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.received.append(update)
        self.headers.append(dict(request.headers))
        self.paths.append(request.path_qs)
        try:
            await self.gate.wait()
        finally:
            self.open -= 1
        return web.Response(status=self.status(update))


@pytest.fixture
async def receivers() -> AsyncIterator[list[Receiver]]:
    started = [Receiver(), Receiver()]
    for receiver in started:
        await receiver.start()
    yield started
    for receiver in started:
        receiver.gate.set()
        await receiver.stop()


async def until(emu: BotAPIEmulator, condition: Callable[[], bool]) -> None:
    """Until `condition()`: the receivers' side changes without the emulator's waiters."""

    async def check() -> bool:
        return condition()

    await eventually(check)


def ids(updates: list[dict[str, Any]]) -> list[int]:
    return [update["update_id"] for update in updates]


@pytest.mark.parametrize(
    ("url", "secret", "says"),
    [
        ("http://hooks.example.com/u", None, "An HTTPS URL must be provided for webhook"),
        ("https://hooks.example.com:8080/u", None, "only on ports 80, 88, 443 or 8443"),
        (URL, "not allowed!", "secret token contains unallowed characters"),
    ],
)
async def test_set_webhook_refuses_what_telegram_refuses(emu, bot: Bot, url, secret, says):
    with pytest.raises(TelegramBadRequest, match=says):
        await bot.set_webhook(url, secret_token=secret)
    assert (await bot.get_webhook_info()).url == ""


async def test_webhook_info_tells_the_settings_and_get_updates_is_refused_while_set(emu, bot: Bot):
    waiting = asyncio.ensure_future(bot.get_updates(timeout=5))
    await emu.wait_for("getUpdates", answered=False)

    await bot.set_webhook(URL, max_connections=7, allowed_updates=["message"])

    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
        await waiting  # the long poll under way ends
    with pytest.raises(TelegramConflictError, match="use deleteWebhook to delete the webhook"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert (info.url, info.max_connections, info.allowed_updates) == (URL, 7, ["message"])
    assert (info.pending_update_count, info.last_error_message) == (0, None)


async def test_updates_are_posted_in_order_with_the_secret_to_the_routed_address(
    emu, bot: Bot, receivers
):
    receiver = receivers[0]
    emu.route_webhook(URL, receiver.address)
    await bot.set_webhook(URL, secret_token=SECRET, max_connections=1)
    alice = emu.user("Alice")
    sent = [emu.send_text(alice, f"m{n}") for n in range(5)]

    await until(emu, lambda: len(receiver.received) == 5 and not emu.pending_updates)

    assert ids(receiver.received) == sent
    assert {h["X-Telegram-Bot-Api-Secret-Token"] for h in receiver.headers} == {SECRET}
    assert set(receiver.paths) == {"/updates?from=telegram"}
    assert [emu.deliveries[update_id] for update_id in sent] == [1] * 5
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_an_update_refused_is_posted_again_and_its_chat_waits_for_it(
    emu, bot: Bot, receivers
):
    receiver = receivers[0]
    emu.route_webhook(URL, receiver.address)
    emu.webhook.retry_seconds = 0.05
    refusals = [503, 503]
    receiver.status = lambda update: refusals.pop() if refusals else 200
    await bot.set_webhook(URL)
    alice = emu.user("Alice")
    first, second = emu.send_text(alice, "one"), emu.send_text(alice, "two")

    await until(emu, lambda: not emu.pending_updates)

    assert ids(receiver.received) == [first, first, first, second]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 503 Service Unavailable"
    assert info.last_error_date is not None


async def test_pending_update_count_counts_what_was_not_taken_and_survives_delete_webhook(
    emu, bot: Bot, receivers
):
    receiver = receivers[0]
    emu.route_webhook(URL, receiver.address)
    receiver.status = lambda _: 500
    await bot.set_webhook(URL)
    update_id = emu.send_text(emu.user("Alice"), "kept")
    await emu.wait_for_webhook(update_id, taken=False)
    assert (await bot.get_webhook_info()).pending_update_count == 1

    await bot.delete_webhook()

    assert ids([u.model_dump() for u in await bot.get_updates()]) == [update_id]


async def test_a_url_without_a_route_fails_like_a_host_that_does_not_resolve(emu, bot: Bot):
    await bot.set_webhook("https://nowhere.example.com/hook")
    update_id = emu.send_text(emu.user("Alice"), "lost?")

    await emu.wait_for_webhook(update_id, taken=False)

    info = await bot.get_webhook_info()
    assert info.last_error_message == "Failed to resolve host: Name or service not known"
    assert info.pending_update_count == 1


async def test_posts_are_shared_in_turn_within_max_connections_one_per_chat(
    emu, bot: Bot, receivers
):
    emu.route_webhook(URL, *(receiver.address for receiver in receivers))
    for receiver in receivers:
        receiver.gate.clear()
    await bot.set_webhook(URL, max_connections=3)
    users = [emu.user(f"User {n}") for n in range(5)]
    first = [emu.send_text(user, "first") for user in users]
    second = [emu.send_text(user, "second") for user in users]

    await until(emu, lambda: sum(len(r.received) for r in receivers) == 3)
    for receiver in receivers:
        receiver.gate.set()
    await until(emu, lambda: not emu.pending_updates)

    assert max(receiver.most_open for receiver in receivers) <= 2
    assert sum(receiver.most_open for receiver in receivers) == 3  # within max_connections
    assert sorted(len(receiver.received) for receiver in receivers) == [5, 5]
    posted = [u for receiver in receivers for u in receiver.received]
    assert sorted(ids(posted)) == sorted(first + second)
    order = [a.update_id for a in emu.webhook.attempts]
    for one, two in zip(first, second, strict=True):  # each chat's first was taken first
        assert order.index(one) < order.index(two)


async def test_delete_webhook_can_drop_the_pending_updates(emu, bot: Bot):
    await bot.set_webhook("https://nowhere.example.com/hook")
    emu.send_text(emu.user("Alice"), "dropped")

    await bot.delete_webhook(drop_pending_updates=True)

    assert await bot.get_updates() == []
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.last_error_message) == ("", 0, None)
