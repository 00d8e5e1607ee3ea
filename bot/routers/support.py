"""/paysupport: how to get help with a payment."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_paysupport, Command("paysupport"))
    return router


async def cmd_paysupport(message: Message, settings: Settings) -> None:
    await message.answer(settings.paysupport_text, parse_mode=None)
