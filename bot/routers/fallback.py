"""Anything no other router took: a short answer pointing at /help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

router = Router(name=__name__)


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer("I don't know that command. Send /help to see what I can do.")


@router.message(F.chat.type == "private")
async def other_message(message: Message) -> None:
    await message.answer("Send /shop to see what you can buy, or /help for the commands.")
