"""End-to-end fixtures: the Bot API emulator, and the real bot running against it."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select

from bot.app import run_bot
from bot.catalog import Catalog, load_catalog
from bot.config import DEFAULT_CATALOG, Settings, load_settings
from emulator import BotAPIEmulator, CheckoutResult, User
from storage import (
    InboxStatus,
    InboxUpdate,
    SessionFactory,
    create_engine,
    create_session_factory,
)

ADMIN_ID = 900_001
SECOND_ADMIN_ID = 900_002


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    emu = BotAPIEmulator()
    await emu.start()
    emu.user("Admin", id=ADMIN_ID, username="shop_admin")
    emu.user("Second admin", id=SECOND_ADMIN_ID, username="second_admin")
    yield emu
    await emu.stop()
    assert emu.violations == [], "requests that break the Bot API spec"
    assert emu.emulator_errors == []


@pytest.fixture
def make_settings(emulator: BotAPIEmulator, database_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": emulator.token,
            "database_url": database_url,
            "telegram_api_base": emulator.base_url,
            "admin_ids": {ADMIN_ID, SECOND_ADMIN_ID},
            "reconcile_interval": 0,
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@dataclass
class RunningBot:
    settings: Settings
    catalog: Catalog
    sessions: SessionFactory
    stop_event: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self, timeout: float = 15.0) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, timeout)


@pytest.fixture
async def start_bot(
    emulator: BotAPIEmulator, make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[Callable[..., Awaitable[RunningBot]]]:
    """Start the real bot in this process (as `python -m bot` does, without signals)."""
    engine = create_engine(database_url)
    running: list[RunningBot] = []

    async def start(catalog_path: Path = DEFAULT_CATALOG, **overrides: Any) -> RunningBot:
        settings = make_settings(catalog_path=catalog_path, **overrides)
        catalog = load_catalog(settings.catalog_path)
        stop = asyncio.Event()
        since = emulator.mark()
        task = asyncio.create_task(run_bot(settings, catalog, stop, handle_signals=False))
        bot = RunningBot(settings, catalog, create_session_factory(engine), stop, task)
        running.append(bot)
        await emulator.wait_for("getUpdates", since=since, answered=False)
        return bot

    yield start
    for bot in running:
        if not bot.task.done():
            with contextlib.suppress(Exception):
                await bot.stop()
        if bot.task.done() and not bot.task.cancelled() and bot.task.exception():
            raise bot.task.exception()  # type: ignore[misc]
    await engine.dispose()


@pytest.fixture
async def shop(start_bot: Callable[..., Awaitable[RunningBot]]) -> RunningBot:
    """The bot with the example catalog."""
    return await start_bot()


async def say(emu: BotAPIEmulator, user: User, text: str, **wait: Any) -> dict[str, Any]:
    """The user sends `text`; returns the bot's first message back."""
    since = emu.mark()
    emu.send_text(user, text)
    return await emu.wait_for_message(user.id, since=since, **wait)


async def request_invoice(
    emu: BotAPIEmulator, user: User, product_id: str, timeout: float = 10.0
) -> dict[str, Any]:
    message = await say(emu, user, f"/buy {product_id}", timeout=timeout)
    assert "invoice" in message, f"expected an invoice, got {message.get('text')!r}"
    return message


async def buy(emu: BotAPIEmulator, user: User, product_id: str) -> CheckoutResult:
    """The whole purchase: /buy, pay the invoice, wait for the confirmation."""
    invoice = await request_invoice(emu, user, product_id)
    since = emu.mark()
    result = await emu.pay(user, invoice)
    assert result.ok, result.error_message
    await emu.wait_for_message(user.id, text_contains="Thank you", since=since)
    return result


async def raw_sql(database_url: str, *statements: str) -> None:
    """Run SQL on the database as another program would (SQLite: off the event loop the bot
    runs on, since sqlite3 waits for locks by blocking)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":

        def run() -> None:
            with sqlite3.connect(url.database or "", timeout=30) as connection:
                for statement in statements:
                    connection.execute(statement)

        await asyncio.to_thread(run)
        return
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@pytest.fixture
def database_url(any_database_url: str) -> str:
    """Every end-to-end test runs on SQLite and on PostgreSQL, but those marked `sqlite_only`."""
    return any_database_url


# For tests of SQLite itself (its file, its write lock): `@sqlite_only`.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def inbox_rows(bot: RunningBot, *update_ids: int) -> dict[int, InboxUpdate]:
    """The inbox rows of these updates that the bot has stored, by update_id."""
    async with bot.sessions() as session:
        statement = select(InboxUpdate).where(col(InboxUpdate.update_id).in_(update_ids))
        return {row.update_id: row for row in (await session.exec(statement)).all()}


async def wait_handled(bot: RunningBot, *update_ids: int, timeout: float = 10.0) -> None:
    """Until the bot has finished handling these updates (their inbox rows are done)."""

    async def handled() -> bool:
        rows = await inbox_rows(bot, *update_ids)
        return len(rows) == len(update_ids) and all(
            row.status == InboxStatus.DONE for row in rows.values()
        )

    await eventually(handled, timeout)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy; for effects that land after a reply."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check!r}")
        await asyncio.sleep(0.02)
