"""Anything no other router took: a short answer pointing at /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot import texts
from bot.filters import Magic


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(unknown_command, Magic(F.text.startswith("/")))
    router.message.register(other_message, Magic(F.chat.type == "private"))
    return router


async def unknown_command(message: Message) -> None:
    await message.answer(texts.unknown_command())


async def other_message(message: Message) -> None:
    await message.answer(texts.other_message())
