"""End-to-end fixtures: the Bot API emulator, and the real bot running against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiogram import Router
from loguru import logger

from bot.app import run_bot
from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG, Settings, load_settings
from emulator import BotAPIEmulator
from storage import (
    create_engine,
    create_session_factory,
)
from tests.helpers import ADMIN_ID, SECOND_ADMIN_ID, WEBHOOK_SECRET, WEBHOOK_URL, RunningBot
from tests.postgres import free_port

START_TIMEOUT = 30.0


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


@pytest.fixture
async def start_bot(
    emulator: BotAPIEmulator, make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[Callable[..., Awaitable[RunningBot]]]:
    """Start the real bot in this process (as `python -m bot` does, without signals)."""
    engine = create_engine(database_url)
    reader = create_engine(database_url, read_only=True)
    running: list[RunningBot] = []

    async def start(
        catalog_path: Path = DEFAULT_CATALOG,
        routers: Sequence[Router] | None = None,
        *,
        webhook: bool = False,
        **overrides: Any,
    ) -> RunningBot:
        """In polling mode; with `webhook=True` in webhook mode, on a free loopback port that
        the emulator's webhook requests are routed to (as through a reverse proxy)."""
        if webhook:
            listen = f"127.0.0.1:{free_port()}"
            emulator.route_webhook(WEBHOOK_URL, f"http://{listen}")
            overrides = {
                "webhook_url": WEBHOOK_URL,
                "webhook_secret": WEBHOOK_SECRET,
                "webhook_listen": listen,
                **overrides,
            }
        settings = make_settings(catalog_path=catalog_path, **overrides)
        catalog = load_catalog(settings.catalog_path, settings.default_language)
        stop = asyncio.Event()
        since = emulator.mark()
        serve = run_bot(settings, catalog, stop, handle_signals=False, routers=routers)
        task = asyncio.create_task(serve)
        sessions, reads = create_session_factory(engine), create_session_factory(reader)
        bot = RunningBot(settings, catalog, sessions, reads, stop, task)
        running.append(bot)
        # A bot starts in well under a second; a machine shared with other work may take
        # many times that, and waiting longer costs a passing test nothing.
        # Polling: a long poll is waiting. Webhook mode: the server listens, the webhook is set.
        ready = "setWebhook" if webhook else "getUpdates"
        await emulator.wait_for(ready, since=since, answered=webhook, timeout=START_TIMEOUT)
        return bot

    yield start
    for bot in running:
        if not bot.task.done():
            with contextlib.suppress(Exception):
                await bot.stop()
        if bot.task.done() and not bot.task.cancelled() and bot.task.exception():
            raise bot.task.exception()  # type: ignore[misc]
    await engine.dispose()
    await reader.dispose()


@pytest.fixture
async def shop(start_bot: Callable[..., Awaitable[RunningBot]]) -> RunningBot:
    """The bot with the example catalog."""
    return await start_bot()


@pytest.fixture
def log() -> Iterator[list[str]]:
    """The messages the process logs during the test, at every level."""
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(m.record["message"]), level="DEBUG")
    yield lines
    logger.remove(sink)


@pytest.fixture
async def webhook_shop(start_bot: Callable[..., Awaitable[RunningBot]]) -> RunningBot:
    """The bot with the example catalog, in webhook mode."""
    return await start_bot(webhook=True)


@pytest.fixture
def database_url(any_database_url: str) -> str:
    """Every end-to-end test runs on SQLite and on PostgreSQL, but those marked `sqlite_only`."""
    return any_database_url
