"""The baseline: a bare aiogram bot that answers every pre-checkout "ok" and does nothing else.

No checks, no database, aiogram's stock polling: what the shop bot's own work is measured
against. Run as a process (`python -m bench.bare_bot`) with BOT_TOKEN and TELEGRAM_API_BASE.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message, PreCheckoutQuery


async def main() -> None:
    dispatcher = Dispatcher()

    @dispatcher.pre_checkout_query()
    async def answer(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    @dispatcher.message()
    async def ignore(message: Message) -> None:
        """Payments and anything else are taken and dropped."""

    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    await dispatcher.start_polling(bot, polling_timeout=25)


if __name__ == "__main__":
    asyncio.run(main())
