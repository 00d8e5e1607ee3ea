"""The poller confirms an update only after its handler finished, without stalling others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters import HasEntitlement
from bot.runner import AtLeastOncePoller
from entitlements import grant_for_charge
from tests.e2e.conftest import say


@pytest.fixture
async def api_bot(emulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    bot = Bot(emulator.token, session=session)
    yield bot
    await bot.session.close()


async def poll(
    dispatcher: Dispatcher, bot: Bot, grace: float = 2, **kwargs
) -> tuple[asyncio.Event, asyncio.Task]:
    stop = asyncio.Event()
    kwargs.setdefault("must_finish", lambda update: False)  # as for commands in the bot
    poller = AtLeastOncePoller(dispatcher, bot, polling_timeout=1, **kwargs)
    return stop, asyncio.create_task(poller.run(stop, grace=grace))


async def test_failing_handler_leaves_its_update_unconfirmed_until_it_succeeds(emulator, api_bot):
    attempts: list[int] = []
    router = Router()

    @router.message(Command("flaky"))
    async def flaky(message: Message) -> None:
        attempts.append(message.message_id)
        if len(attempts) < 3:
            raise RuntimeError("database went away")
        await message.answer("done at last")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    stop, task = await poll(dispatcher, api_bot, retry_delays=(0.1, 0.1, 0.1))
    user = emulator.user("Vic")
    update_id = emulator.send_text(user, "/flaky")
    await emulator.wait_for_message(user.id, text_contains="done at last")
    await emulator.wait_confirmed(update_id)
    stop.set()
    await task
    assert len(attempts) == 3 and len(set(attempts)) == 1  # the same message, handled again


async def test_update_that_keeps_failing_is_given_up_so_later_ones_get_confirmed(
    emulator, api_bot
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

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    stop, task = await poll(dispatcher, api_bot, retry_delays=(0.05, 0.05))
    user = emulator.user("Wes")
    emulator.send_text(user, "/poison")
    later = emulator.send_text(user, "/fine")
    await emulator.wait_confirmed(later)
    stop.set()
    await task
    assert len(tries) == 3  # the first try and the two retries, then it was given up


async def test_slow_handler_does_not_stall_others_and_stays_unconfirmed(emulator, api_bot):
    release = asyncio.Event()
    router = Router()

    @router.message(Command("slow"))
    async def slow(message: Message) -> None:
        await release.wait()
        await message.answer("slow done")

    @router.message(Command("fast"))
    async def fast(message: Message) -> None:
        await message.answer("fast done")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    stop, task = await poll(dispatcher, api_bot)
    slow_user, fast_user = emulator.user("Xan"), emulator.user("Yul")
    slow_update = emulator.send_text(slow_user, "/slow")
    await say(emulator, fast_user, "/fast")
    await say(emulator, fast_user, "/fast")  # a later batch is handled too
    assert emulator.confirmed_offset <= slow_update  # not confirmed while its handler runs
    release.set()
    await emulator.wait_for_message(slow_user.id, text_contains="slow done")
    await emulator.wait_confirmed(slow_update)
    stop.set()
    await task


async def test_stop_lets_running_handlers_finish_and_confirms_them(emulator, api_bot):
    started, finished = asyncio.Event(), asyncio.Event()
    router = Router()

    @router.message(Command("work"))
    async def work(message: Message) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.set()

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    stop, task = await poll(dispatcher, api_bot)
    update_id = emulator.send_text(emulator.user("Zed"), "/work")
    await asyncio.wait_for(started.wait(), 10)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert finished.is_set()
    assert emulator.confirmed_offset > update_id


async def test_handler_cut_off_at_stop_leaves_its_update_for_redelivery(emulator, api_bot):
    started = asyncio.Event()
    router = Router()

    @router.message(Command("endless"))
    async def endless(message: Message) -> None:
        started.set()
        await asyncio.sleep(3600)

    @router.message(Command("quick"))
    async def quick(message: Message) -> None:
        await message.answer("quick")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    stop, task = await poll(dispatcher, api_bot, grace=0.2)
    user = emulator.user("Cut")
    endless_update = emulator.send_text(user, "/endless")
    await asyncio.wait_for(started.wait(), 10)
    await say(emulator, user, "/quick")
    stop.set()
    await asyncio.wait_for(task, 10)
    assert emulator.confirmed_offset <= endless_update  # Telegram will deliver it again
    assert [u["update_id"] for u in emulator.pending_updates][:1] == [endless_update]


async def test_failed_update_is_given_up_before_it_blocks_newer_updates(emulator, api_bot):
    handled: list[str] = []
    router = Router()

    @router.message(Command("poison"))
    async def poison(message: Message) -> None:
        raise RuntimeError("always fails")

    @router.message()
    async def note(message: Message) -> None:
        handled.append(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    # Retries far apart: only the window rule can free the offset within this test.
    stop, task = await poll(dispatcher, api_bot, retry_delays=(600.0,))
    user = emulator.user("Many")
    poisoned = emulator.send_text(user, "/poison")
    last = 0
    for n in range(150):  # more than the 100 updates Telegram returns past the offset
        last = emulator.send_text(user, f"note {n}")
    await emulator.wait_confirmed(last, timeout=30)
    stop.set()
    await task
    assert len(handled) == 150
    assert emulator.confirmed_offset > poisoned


async def test_long_running_command_is_confirmed_early_when_updates_pile_up(emulator, api_bot):
    release = asyncio.Event()
    handled: list[str] = []
    router = Router()

    @router.message(Command("slow"))
    async def slow(message: Message) -> None:
        await release.wait()
        handled.append("slow")

    @router.message()
    async def note(message: Message) -> None:
        handled.append(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    stop, task = await poll(dispatcher, api_bot)
    user = emulator.user("Busy")
    slow_update = emulator.send_text(user, "/slow")
    last = 0
    for n in range(150):  # more than the 100 updates Telegram returns past the offset
        last = emulator.send_text(user, f"note {n}")
    await emulator.wait_confirmed(last, timeout=30)
    assert len(handled) == 150 and "slow" not in handled  # it still runs, confirmed early
    release.set()
    stop.set()
    await task
    assert handled[-1] == "slow"  # and was allowed to finish at stop
    assert emulator.confirmed_offset > slow_update


async def test_payment_update_is_never_confirmed_before_it_finishes(emulator, api_bot):
    release = asyncio.Event()
    router = Router()

    @router.message(Command("slow"))
    async def slow(message: Message) -> None:
        await release.wait()

    @router.message()
    async def note(message: Message) -> None:
        pass

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    stop, task = await poll(dispatcher, api_bot, must_finish=lambda update: True)
    user = emulator.user("Payer")
    slow_update = emulator.send_text(user, "/slow")
    for n in range(120):
        emulator.send_text(user, f"note {n}")
    await emulator.wait_for("getUpdates", count=30, answered=False)
    assert emulator.confirmed_offset <= slow_update
    release.set()
    await emulator.wait_confirmed(slow_update)
    stop.set()
    await task


async def test_has_entitlement_filter_gates_a_handler_on_a_key(emulator, api_bot, sessions):
    router = Router()

    @router.message(Command("lounge"), HasEntitlement("gold"))
    async def lounge(message: Message) -> None:
        await message.answer("Welcome to the gold lounge")

    @router.message(Command("lounge"))
    async def members_only(message: Message) -> None:
        await message.answer("Gold members only")

    dispatcher = Dispatcher(readers=sessions)
    dispatcher.include_router(router)
    stop, task = await poll(dispatcher, api_bot)
    member = emulator.user("Ada")
    assert (await say(emulator, member, "/lounge"))["text"] == "Gold members only"
    async with sessions() as session:
        await grant_for_charge(session, user_id=member.id, charge_id="c1", keys=["gold"])
        await session.commit()
    assert (await say(emulator, member, "/lounge"))["text"] == "Welcome to the gold lounge"
    stop.set()
    await task
