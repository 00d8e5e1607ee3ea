"""409 Conflict from getUpdates: another process polls with the same token, or a webhook is set.
The poller says so in one error line per back-off step, pauses, and resumes when it ends."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramConflictError
from aiogram.types import Message
from aiogram.utils.backoff import BackoffConfig

from storage import InboxStatus
from tests.helpers import Polling, dispatcher_with, eventually, status_becomes

ANOTHER_INSTANCE = "another process is polling Telegram with this bot token (409 Conflict)"
WEBHOOK_SET = "a webhook is set for this bot token"
SHORT_BACKOFF = BackoffConfig(min_delay=0.05, max_delay=0.2, factor=2.0, jitter=0.0)
# The other instance asks for this many updates: how its requests are told from the bot's.
OTHER_LIMIT = 7


def new_bot(emulator) -> Bot:
    return Bot(
        emulator.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    )


@pytest.fixture
async def api_bot(emulator) -> AsyncIterator[Bot]:
    bot = new_bot(emulator)
    yield bot
    await bot.session.close()


@pytest.fixture
def poll(api_bot, writer, sessions):
    """A poller with an echo handler, and the back-off steps the test gives it."""
    started: list[Polling] = []

    def start(backoff: BackoffConfig) -> Polling:
        router = Router()

        @router.message(F.text)
        async def echo(message: Message) -> None:
            await message.answer(f"echo {message.text}")

        polling = Polling(
            dispatcher_with(router), api_bot, writer, sessions, conflict_backoff=backoff
        ).start()
        started.append(polling)
        return polling

    yield start
    for polling in started:
        polling.stop_event.set()


class OtherInstance:
    """A second process polling the same token: it asks again at once, as soon as it is told."""

    def __init__(self, emulator, poll_seconds: int) -> None:
        self.bot = new_bot(emulator)
        self.poll_seconds = poll_seconds
        self.polls = 0
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TelegramConflictError):
                await self.bot.get_updates(timeout=self.poll_seconds, limit=OTHER_LIMIT)
            self.polls += 1

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.bot.session.close()


def the_bots_polls(emulator) -> list:
    return [
        r
        for r in emulator.requests
        if r.method == "getUpdates" and r.params.get("limit") != OTHER_LIMIT
    ]


def refused_until_resumed(emulator) -> list:
    """The bot's getUpdates calls from the first refused with 409 to the first that went
    through after it: all refused. (Its last call, cut off by its stop, may be answered 409
    too, but to nobody.)"""
    polls = the_bots_polls(emulator)
    refused = next(i for i, request in enumerate(polls) if request.status == 409)
    resumed = next(i for i, request in enumerate(polls) if i > refused and request.status == 200)
    assert all(request.status == 409 for request in polls[refused:resumed])
    return polls[refused:resumed]


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    async def check() -> object:
        return condition()

    await eventually(check, timeout)


def conflict_lines(log: list[str], what: str) -> list[str]:
    return [line for line in log if what in line]


def delays(lines: list[str]) -> list[float]:
    """The pause each line announces."""
    return [float(re.findall(r"retrying in ([\d.]+)s", line)[0]) for line in lines]


async def resumes(emulator, polling: Polling, sessions) -> None:
    user = emulator.user("Ann")
    update_id = emulator.send_text(user, "are you there?")
    await status_becomes(sessions, update_id, InboxStatus.DONE)
    await emulator.wait_for_message(user.id, text_contains="echo are you there?")


async def test_another_instance_is_named_once_per_back_off_step_until_it_stops(
    emulator, poll, sessions, log
):
    other = OtherInstance(emulator, poll_seconds=1)
    try:
        polling = poll(SHORT_BACKOFF)
        await until(lambda: len(conflict_lines(log, ANOTHER_INSTANCE)) >= 4)
    finally:
        await other.stop()
    await resumes(emulator, polling, sessions)
    await polling.stop()

    lines = conflict_lines(log, ANOTHER_INSTANCE)
    assert all("stop the other instance, only one may run" in line for line in lines)
    # The pause grows, up to its last step.
    assert delays(lines)[:4] == [0.05, 0.1, 0.2, 0.2]
    # Each getUpdates refused was followed by its line and its pause (none was repeated at
    # once, unlogged), until one went through after the other instance stopped.
    refused = refused_until_resumed(emulator)
    assert len(refused) == len(lines)
    assert all("terminated by other getUpdates" in r.response["description"] for r in refused)


async def test_the_back_off_after_a_conflict_is_a_pause_not_a_spin(emulator, poll, log):
    other = OtherInstance(emulator, poll_seconds=0)
    try:
        polling = poll(BackoffConfig(min_delay=600.0, max_delay=601.0, factor=2.0, jitter=0.0))
        await until(lambda: conflict_lines(log, ANOTHER_INSTANCE))
        start = other.polls
        # The other instance polls 50 times more meanwhile; the bot does not ask once.
        await until(lambda: other.polls >= start + 50)
        assert len(the_bots_polls(emulator)) == 1
        assert len(conflict_lines(log, ANOTHER_INSTANCE)) == 1
    finally:
        await other.stop()
    await polling.stop()  # a stop does not wait for the rest of the pause


async def test_a_webhook_set_while_polling_is_named_with_how_to_remove_it_until_deleted(
    emulator, poll, api_bot, sessions, log
):
    # Polling removes a webhook when it starts; this one is set afterwards, by someone else.
    polling = poll(SHORT_BACKOFF)
    await emulator.wait_for("getUpdates", answered=False)
    await api_bot.set_webhook("https://shop.example.com/telegram")
    await until(lambda: len(conflict_lines(log, WEBHOOK_SET)) >= 3)

    await api_bot.delete_webhook()
    await resumes(emulator, polling, sessions)
    await polling.stop()

    lines = conflict_lines(log, WEBHOOK_SET)
    assert all("deleteWebhook" in line and "getUpdates cannot run" in line for line in lines)
    assert not conflict_lines(log, ANOTHER_INSTANCE)
    assert delays(lines)[:3] == [0.05, 0.1, 0.2]
    refused = refused_until_resumed(emulator)
    assert len(refused) == len(lines)
    assert all("webhook is active" in r.response["description"] for r in refused)
