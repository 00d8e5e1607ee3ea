"""A router's startup and shutdown handlers run with the real bot: at start, once the core is
running, and at a clean stop, before it stops."""

from __future__ import annotations

from aiogram import Router

from bot.routers import create_routers
from storage import SyncStateRepository, Writer
from tests.helpers import say


async def test_startup_and_shutdown_handlers_of_a_router_run_with_the_core_running(
    emulator, start_bot
):
    events: list[str] = []
    probe = Router(name="probe")

    @probe.startup()
    async def on_start(writer: Writer) -> None:
        # The core started first: the writer takes a write.
        await writer.write(lambda session: SyncStateRepository(session).set("probe", 1))
        events.append("started")

    @probe.shutdown()
    async def on_stop(writer: Writer) -> None:
        # The core stops after this: the writer still takes a write.
        await writer.write(lambda session: SyncStateRepository(session).set("probe", 2))
        events.append("stopped")

    shop = await start_bot(routers=[*create_routers(), probe])
    assert events == ["started"]
    reply = await say(emulator, emulator.user("Ann"), "/help")
    assert "/shop" in reply["text"]

    await shop.stop()
    assert events == ["started", "stopped"]
    async with shop.sessions() as session:
        assert await SyncStateRepository(session).get("probe") == 2
