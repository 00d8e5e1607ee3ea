"""Anything no other router took: a short answer pointing at /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.filters import Magic


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(unknown_command, Magic(F.text.startswith("/")))
    router.message.register(other_message, Magic(F.chat.type == "private"))
    return router


async def unknown_command(message: Message) -> None:
    await message.answer("I don't know that command. Send /help to see what I can do.")


async def other_message(message: Message) -> None:
    await message.answer("Send /shop to see what you can buy, or /help for the commands.")
