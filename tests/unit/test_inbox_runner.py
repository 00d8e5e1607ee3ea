"""The inbox runner on its own, fed the way every way in feeds it (`Intake.store`): one chat's
updates in order, other chats side by side, a failure retried then parked, a backlog past the
memory limit read back from the table, and the rows the last run left run first."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Message
from sqlmodel import col, select

from bot.inbox.intake import Intake
from bot.inbox.runner import InboxRunner
from storage import InboxStatus, InboxUpdate, SessionFactory, create_engine, create_session_factory


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


@pytest.fixture
async def readers(sessions, database_url) -> AsyncIterator[SessionFactory]:
    engine = create_engine(database_url, read_only=True)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    """Never asked anything here: the handlers only record what they were given."""
    made = Bot("123456:runner-test-token")
    yield made
    await made.session.close()


def message(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": f"User {chat_id}"},
            "text": text,
        },
    }


class Inbox:
    """A runner over a test's router, and the intake that stores updates for it."""

    def __init__(self, router: Router, bot: Bot, writer, readers, **kwargs: Any) -> None:
        dispatcher = Dispatcher()
        dispatcher.include_router(router)
        self.runner = InboxRunner(dispatcher, bot, writer, readers, **kwargs)
        self.intake = Intake(dispatcher, bot, writer, self.runner)

    async def arrive(self, *updates: dict[str, Any]) -> None:
        assert await self.intake.store({u["update_id"]: u for u in updates})

    async def stop(self, grace: float = 5.0) -> None:
        await self.intake.drain(grace)


async def rows(sessions, *update_ids: int) -> dict[int, InboxUpdate]:
    async with sessions() as session:
        statement = select(InboxUpdate).where(col(InboxUpdate.update_id).in_(update_ids))
        return {row.update_id: row for row in (await session.exec(statement)).all()}


async def until_status(sessions, status: InboxStatus, *update_ids: int) -> dict[int, InboxUpdate]:
    deadline = time.monotonic() + 15
    while True:
        found = await rows(sessions, *update_ids)
        if len(found) == len(update_ids) and all(r.status == status for r in found.values()):
            return found
        assert time.monotonic() < deadline, f"not {status} in time: {found}"
        await asyncio.sleep(0.02)


async def test_one_chats_updates_run_in_order_while_other_chats_go_on(
    bot, writer, readers, sessions
):
    release = asyncio.Event()
    handled: list[str] = []
    router = Router()

    @router.message(F.text == "first")
    async def first(message: Message) -> None:
        await release.wait()
        handled.append(f"{message.chat.id} first")

    @router.message(F.text == "second")
    async def second(message: Message) -> None:
        handled.append(f"{message.chat.id} second")

    inbox = Inbox(router, bot, writer, readers)
    await inbox.runner.start()
    await inbox.arrive(message(1, 10, "first"), message(2, 10, "second"), message(3, 20, "second"))

    await until_status(sessions, InboxStatus.DONE, 3)  # chat 20 is not held up by chat 10
    assert handled == ["20 second"]
    release.set()
    await until_status(sessions, InboxStatus.DONE, 1, 2)
    assert handled == ["20 second", "10 first", "10 second"]
    await inbox.stop()


async def test_a_failing_update_is_retried_then_parked_and_its_chat_goes_on(
    bot, writer, readers, sessions
):
    tries = 0
    router = Router()

    @router.message(F.text == "poison")
    async def poison(message: Message) -> None:
        nonlocal tries
        tries += 1
        raise RuntimeError("always fails")

    @router.message(F.text == "fine")
    async def fine(message: Message) -> None:
        pass

    inbox = Inbox(router, bot, writer, readers, retry_delays=(0.01, 0.01))
    await inbox.runner.start()
    await inbox.arrive(message(1, 10, "poison"), message(2, 10, "fine"))

    parked = (await until_status(sessions, InboxStatus.FAILED, 1))[1]
    assert tries == 3 and parked.attempts == 3 and "always fails" in (parked.last_error or "")
    assert json.loads(parked.raw)["message"]["text"] == "poison"  # kept for a person
    await until_status(sessions, InboxStatus.DONE, 2)
    await inbox.stop()


async def test_a_failure_is_stored_as_one_line_without_the_token_whatever_its_type(
    bot, writer, readers, sessions
):
    router = Router()

    @router.message()
    async def answer(message: Message) -> None:
        # As aiohttp decodes a proxy's page that is not UTF-8: the error holds the whole page.
        b"<p>POST /bot123456:runner-test-token/sendMessage failed</p>\xa9".decode()

    inbox = Inbox(router, bot, writer, readers, retry_delays=())
    await inbox.runner.start()
    await inbox.arrive(message(1, 10, "hello"))

    parked = (await until_status(sessions, InboxStatus.FAILED, 1))[1]
    assert parked.last_error == (
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xa9 in position 59: "
        "invalid start byte"
    )
    await inbox.stop()


async def test_a_backlog_past_the_memory_limit_waits_in_the_table_and_runs_in_order(
    bot, writer, readers, sessions
):
    release = asyncio.Event()
    seen: list[int] = []
    router = Router()

    @router.message()
    async def number(message: Message) -> None:
        await release.wait()
        seen.append(int(message.text or "0"))

    inbox = Inbox(router, bot, writer, readers, concurrency=2, memory_limit=10)
    await inbox.runner.start()
    for start in range(0, 60, 15):  # in batches, as a long poll or a webhook brings them
        await inbox.arrive(*(message(n + 1, 10, str(n)) for n in range(start, start + 15)))
    assert len(inbox.runner.running) <= 2

    release.set()
    await until_status(sessions, InboxStatus.DONE, *range(1, 61))
    assert seen == list(range(60))
    await inbox.stop()


async def test_rows_the_last_run_left_unfinished_run_first_at_start(
    bot, writer, readers, sessions
):
    handled: list[str] = []
    router = Router()

    @router.message()
    async def record(message: Message) -> None:
        handled.append(message.text or "")

    cut_off = Inbox(Router(), bot, writer, readers)  # a run that stored and handled nothing
    cut_off.runner.stop_taking()
    await cut_off.arrive(message(1, 10, "left over"))

    inbox = Inbox(router, bot, writer, readers)
    await inbox.runner.start()
    await inbox.arrive(message(2, 10, "new"))
    await until_status(sessions, InboxStatus.DONE, 1, 2)
    assert handled == ["left over", "new"]
    await inbox.stop()


async def test_a_handler_cut_off_at_the_stop_leaves_its_row_pending(
    bot, writer, readers, sessions
):
    started = asyncio.Event()
    router = Router()

    @router.message()
    async def endless(message: Message) -> None:
        started.set()
        await asyncio.Event().wait()

    inbox = Inbox(router, bot, writer, readers)
    await inbox.runner.start()
    await inbox.arrive(message(1, 10, "endless"))
    await started.wait()
    await inbox.stop(grace=0.05)

    assert (await rows(sessions, 1))[1].status == InboxStatus.PENDING
