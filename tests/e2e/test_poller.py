"""The inbox poller: stored before confirmed, fetched once, one chat in order, failures parked."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.types import Message, PreCheckoutQuery
from sqlmodel import select

from bot.filters import HasEntitlement
from entitlements import grant_for_charge
from storage import (
    InboxStatus,
    InboxUpdate,
    SessionFactory,
    Writer,
    create_engine,
    create_session_factory,
)
from tests.helpers import (
    Polling,
    dispatcher_with,
    eventually,
    hold_write_lock,
    inbox,
    say,
    sqlite_only,
    status_becomes,
)


@pytest.fixture
async def api_bot(emulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    bot = Bot(emulator.token, session=session)
    yield bot
    await bot.session.close()


@pytest.fixture
async def readers(sessions, database_url) -> AsyncIterator[SessionFactory]:
    engine = create_engine(database_url, read_only=True)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def polling(api_bot, writer, readers):
    started: list[Polling] = []

    def make(dispatcher: Dispatcher, **kwargs) -> Polling:
        poll = Polling(dispatcher, api_bot, writer, readers, **kwargs).start()
        started.append(poll)
        return poll

    yield make
    for poll in started:
        if poll.task is not None and not poll.task.done():
            poll.stop_event.set()


async def test_update_is_stored_then_confirmed_then_handled_and_marked_done(
    emulator, polling, sessions
):
    release = asyncio.Event()
    router = Router()

    @router.message(Command("slow"))
    async def slow(message: Message) -> None:
        await release.wait()
        await message.answer("done")

    polling(dispatcher_with(router))
    user = emulator.user("Ada")
    update_id = emulator.send_text(user, "/slow")

    # Confirmed to Telegram while the handler still runs: the inbox holds it.
    await emulator.wait_confirmed(update_id)
    row = await inbox(sessions, update_id)
    assert row is not None and row.status == InboxStatus.PENDING
    assert json.loads(row.raw)["message"]["text"] == "/slow"
    assert (row.kind, row.chat_id) == ("message", user.id)

    release.set()
    await emulator.wait_for_message(user.id, text_contains="done")
    await status_becomes(sessions, update_id, InboxStatus.DONE)


async def test_failing_handler_is_tried_again_until_it_succeeds(emulator, polling, sessions):
    attempts: list[int] = []
    router = Router()

    @router.message(Command("flaky"))
    async def flaky(message: Message) -> None:
        attempts.append(message.message_id)
        if len(attempts) < 3:
            raise RuntimeError("database went away")
        await message.answer("done at last")

    # A store slower than the patience (a loaded machine) fetches the update again, by design:
    # the count below is about the retries alone.
    polling(dispatcher_with(router), retry_delays=(0.05, 0.05, 0.05), store_patience=30)
    user = emulator.user("Vic")
    update_id = emulator.send_text(user, "/flaky")
    await emulator.wait_for_message(user.id, text_contains="done at last")
    row = await status_becomes(sessions, update_id, InboxStatus.DONE)
    assert len(attempts) == 3 and len(set(attempts)) == 1  # the same message, handled again
    assert row.attempts == 2
    assert emulator.deliveries[update_id] == 1  # retried from the inbox, not from Telegram


async def test_poison_update_is_parked_after_its_retries_and_later_updates_are_handled(
    emulator, polling, sessions
):
    tries: list[int] = []
    router = Router()

    @router.message(Command("poison"))
    async def poison(message: Message) -> None:
        tries.append(message.message_id)
        raise RuntimeError("always fails")

    @router.message(Command("fine"))
    async def fine(message: Message) -> None:
        await message.answer("fine")

    polling(dispatcher_with(router), retry_delays=(0.05, 0.05))
    user, other = emulator.user("Wes"), emulator.user("Xan")
    poisoned = emulator.send_text(user, "/poison")
    behind_it = emulator.send_text(user, "/fine")  # same chat: waits for the poison, in order
    elsewhere = emulator.send_text(other, "/fine")

    row = await status_becomes(sessions, poisoned, InboxStatus.FAILED)
    assert len(tries) == 3  # the first try and two retries
    assert row.attempts == 3 and "always fails" in (row.last_error or "")
    assert json.loads(row.raw)["message"]["text"] == "/poison"  # kept for a person
    await emulator.wait_for_message(user.id, text_contains="fine")
    await emulator.wait_for_message(other.id, text_contains="fine")
    await status_becomes(sessions, behind_it, InboxStatus.DONE)
    await status_becomes(sessions, elsewhere, InboxStatus.DONE)


async def test_one_chats_updates_are_handled_in_order_and_other_chats_go_on(
    emulator, polling, sessions
):
    release = asyncio.Event()
    handled: list[tuple[int, str]] = []
    router = Router()

    @router.message(Command("first"))
    async def first(message: Message) -> None:
        await release.wait()
        handled.append((message.chat.id, "first"))

    @router.message(Command("second"))
    async def second(message: Message) -> None:
        handled.append((message.chat.id, "second"))
        await message.answer("second")

    polling(dispatcher_with(router))
    ann, bob = emulator.user("Ann"), emulator.user("Bob")
    emulator.send_text(ann, "/first")
    ann_second = emulator.send_text(ann, "/second")
    emulator.send_text(bob, "/second")

    # Bob's chat is not held up by Ann's; Ann's second waits for her first.
    await emulator.wait_for_message(bob.id, text_contains="second")
    assert (ann.id, "second") not in handled
    release.set()
    await status_becomes(sessions, ann_second, InboxStatus.DONE)
    assert [what for chat, what in handled if chat == ann.id] == ["first", "second"]


async def test_every_update_is_fetched_once_even_when_more_than_100_wait(
    emulator, polling, sessions
):
    release = asyncio.Event()
    router = Router()

    @router.message(Command("slow"))
    async def slow(message: Message) -> None:
        await release.wait()

    @router.pre_checkout_query()
    async def answer(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    # Storing slower than the patience (a loaded machine) fetches the batch again, by design:
    # not what this test is about.
    polling(dispatcher_with(router), store_patience=30)
    users = [emulator.user(f"U{n}") for n in range(150)]
    slow_ids = [emulator.send_text(user, "/slow") for user in users]

    # 150 handlers still run, past Telegram's window of 100, and a pre-checkout behind them is
    # still fetched and answered at once.
    buyer = emulator.user("Buyer")
    result = await emulator.pay(buyer, payload="anything", total_amount=5)
    assert result.ok
    await emulator.wait_confirmed(slow_ids[-1])
    release.set()
    for update_id in slow_ids:
        await status_becomes(sessions, update_id, InboxStatus.DONE)
    assert set(emulator.deliveries.values()) == {1}
    assert len(emulator.deliveries) == 150 + 2  # the commands, the pre-checkout, the payment


async def test_concurrency_is_bounded_by_the_setting(emulator, polling):
    running, most = 0, 0
    release = asyncio.Event()
    router = Router()

    @router.message(Command("work"))
    async def work(message: Message) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1
        await message.answer("ok")

    polling(dispatcher_with(router), concurrency=5)
    users = [emulator.user(f"W{n}") for n in range(20)]
    for user in users:
        emulator.send_text(user, "/work")
    await eventually(lambda: asyncio.sleep(0, result=running == 5))
    release.set()
    for user in users:
        await emulator.wait_for_message(user.id, text_contains="ok")
    assert most == 5


async def test_stop_lets_running_handlers_finish_and_marks_them_done(emulator, polling, sessions):
    started, release = asyncio.Event(), asyncio.Event()
    router = Router()

    @router.message(Command("work"))
    async def work(message: Message) -> None:
        started.set()
        await release.wait()
        await message.answer("finished")

    poll = polling(dispatcher_with(router))
    user = emulator.user("Yul")
    update_id = emulator.send_text(user, "/work")
    await started.wait()
    stopping = asyncio.create_task(poll.stop())
    await eventually(lambda: asyncio.sleep(0, result=poll.poller.stopped_at is not None))
    release.set()  # the handler finishes while the poller is stopping
    await stopping
    await emulator.wait_for_message(user.id, text_contains="finished")
    await status_becomes(sessions, update_id, InboxStatus.DONE)


async def test_handler_cut_off_at_stop_runs_again_at_the_next_start(
    emulator, api_bot, writer, readers, sessions
):
    started = asyncio.Event()
    cut_off = True
    router = Router()

    @router.message(Command("endless"))
    async def endless(message: Message) -> None:
        started.set()
        if cut_off:
            await asyncio.Event().wait()
        await message.answer("finished this time")

    dispatcher = dispatcher_with(router)
    # store_patience: as in test_failing_handler_is_tried_again_until_it_succeeds.
    first = Polling(dispatcher, api_bot, writer, readers, store_patience=30).start(grace=0.2)
    user = emulator.user("Zed")
    update_id = emulator.send_text(user, "/endless")
    await started.wait()
    await first.stop()
    row = await inbox(sessions, update_id)
    assert row is not None and row.status == InboxStatus.PENDING
    assert emulator.confirmed_offset > update_id  # Telegram is done with it; the inbox is not

    cut_off = False
    second = Polling(dispatcher, api_bot, writer, readers, store_patience=30).start()
    await emulator.wait_for_message(user.id, text_contains="finished this time")
    await status_becomes(sessions, update_id, InboxStatus.DONE)
    await second.stop()
    assert emulator.deliveries[update_id] == 1


async def test_backlog_beyond_memory_waits_in_the_table_and_is_handled_in_order(
    emulator, polling, sessions
):
    release = asyncio.Event()
    seen: list[int] = []
    router = Router()

    @router.message(Command("n"))
    async def number(message: Message) -> None:
        await release.wait()
        seen.append(int((message.text or "").split()[1]))

    polling(dispatcher_with(router), concurrency=2, memory_limit=10)
    user = emulator.user("Many")
    ids = [emulator.send_text(user, f"/n {n}") for n in range(60)]
    await emulator.wait_confirmed(ids[-1])
    async with sessions() as session:
        stored = (await session.exec(select(InboxUpdate))).all()
    assert len(stored) == 60
    release.set()
    await status_becomes(sessions, ids[-1], InboxStatus.DONE)
    assert seen == list(range(60))


async def test_has_entitlement_filter_gates_a_handler_on_a_key(emulator, polling, sessions):
    router = Router()

    @router.message(Command("vip"), HasEntitlement("gold"))
    async def vip(message: Message) -> None:
        await message.answer("welcome, gold member")

    @router.message(Command("vip"))
    async def not_vip(message: Message) -> None:
        await message.answer("gold members only")

    dispatcher = Dispatcher(readers=sessions)
    dispatcher.include_router(router)
    polling(dispatcher)
    member, stranger = emulator.user("Gil"), emulator.user("Sam")
    async with sessions() as session:
        await grant_for_charge(session, user_id=member.id, charge_id="stx_vip", keys=["gold"])
        await session.commit()

    assert (await say(emulator, member, "/vip"))["text"] == "welcome, gold member"
    assert (await say(emulator, stranger, "/vip"))["text"] == "gold members only"


@sqlite_only
async def test_updates_fetched_but_not_stored_at_stop_stay_with_telegram(
    emulator, api_bot, readers, sessions, db_path, database_url
):
    router = Router()

    @router.message(Command("hello"))
    async def hello(message: Message) -> None:
        await message.answer("hello back")

    dispatcher = dispatcher_with(router)
    engine = create_engine(database_url, busy_timeout_ms=50)
    blocked = Writer(create_session_factory(engine))
    blocked.start()
    release, locked = threading.Event(), threading.Event()
    holder = asyncio.ensure_future(asyncio.to_thread(hold_write_lock, db_path, release, locked))
    await asyncio.to_thread(locked.wait, 10)
    try:
        first = Polling(dispatcher, api_bot, blocked, readers).start(grace=0.2)
        user = emulator.user("Una")
        update_id = emulator.send_text(user, "/hello")
        await eventually(lambda: asyncio.sleep(0, result=emulator.deliveries[update_id] >= 2))
        await first.stop()
    finally:
        release.set()
        await holder
    await blocked.stop()
    await engine.dispose()
    assert emulator.confirmed_offset <= update_id  # never stored, so never confirmed
    assert await inbox(sessions, update_id) is None

    second = Polling(dispatcher, api_bot, Writer(sessions), readers)
    second.writer.start()
    second.start()
    await emulator.wait_for_message(user.id, text_contains="hello back")
    await status_becomes(sessions, update_id, InboxStatus.DONE)
    await second.stop()
    await second.writer.stop()


async def test_a_crowd_of_pre_checkouts_is_answered_in_full_a_bounded_number_at_a_time(
    emulator, polling
):
    running, most = 0, 0
    router = Router()

    @router.pre_checkout_query()
    async def answer(query: PreCheckoutQuery) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)  # let the others in, if the poller allowed them
        await query.answer(ok=True)
        running -= 1

    polling(dispatcher_with(router), queries_at_once=10)
    buyers = [emulator.user(f"P{n}") for n in range(300)]
    results = await asyncio.gather(
        *(emulator.pre_checkout(b, payload="p", total_amount=5, timeout=30) for b in buyers)
    )
    assert all(r.ok for r in results)
    assert most == 10
