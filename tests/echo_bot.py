"""A bare aiogram bot that echoes every message, for the emulator's own tests of a bot that
runs in a process of its own (`API_BASE` and `BOT_TOKEN` from the environment)."""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main() -> None:
    api = TelegramAPIServer.from_base(os.environ["API_BASE"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    await dispatcher.start_polling(bot, handle_signals=False, polling_timeout=2)


if __name__ == "__main__":
    asyncio.run(main())
