"""Fixtures of the unit tests that drive the emulator with a real aiogram Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from emulator import DEFAULT_TOKEN, BotAPIEmulator


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=DEFAULT_TOKEN)
    await emulator.start()
    yield emulator
    await emulator.stop()
    assert emulator.emulator_errors == []


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    telegram_bot = Bot(DEFAULT_TOKEN, session=session)
    yield telegram_bot
    await telegram_bot.session.close()
