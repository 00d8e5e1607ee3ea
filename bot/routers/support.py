"""/paysupport: the buyer describes a problem in one message, and every admin gets it once per
SUPPORT_COOLDOWN; what the buyer sends meanwhile is added to the stored request."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.catalog import Catalog
from bot.config import Settings
from bot.keyboards.support import CANCEL_DATA, cancel_keyboard
from bot.services.support import (
    SupportMessage,
    SupportOutcome,
    ask_for_description,
    cancel_request,
    is_asked,
    submit_request,
)
from storage import SessionFactory, Writer


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_paysupport, Command("paysupport"))
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(on_cancel_button, F.data == CANCEL_DATA)
    router.message.register(on_description, awaiting_description)
    return router


async def awaiting_description(message: Message, readers: SessionFactory) -> bool:
    """Passes while /paysupport waits for this buyer's description (stored: a restart keeps it)."""
    return message.from_user is not None and await is_asked(readers, message.from_user.id)


async def cmd_paysupport(message: Message, writer: Writer, settings: Settings) -> None:
    if message.from_user is None:
        return
    open_since = await ask_for_description(writer, message.from_user.id, _cooldown(settings))
    prompt = (
        texts.support_already_open(open_since)
        if open_since is not None
        else texts.support_prompt(settings.paysupport_text)
    )
    await message.answer(prompt, reply_markup=cancel_keyboard())


async def on_description(
    message: Message, settings: Settings, writer: Writer, catalog: Catalog
) -> None:
    description = (message.text or message.caption or "").strip()
    user = message.from_user
    if not description or description.startswith("/") or user is None:
        await message.answer(texts.SUPPORT_WORDS_PLEASE)
        return
    if not settings.admin_ids:
        await cancel_request(writer, user.id)
        await message.answer(texts.SUPPORT_UNAVAILABLE)
        return
    request = SupportMessage(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        description=description,
        message_key=f"{message.chat.id}:{message.message_id}",
    )
    submitted = await submit_request(
        writer, catalog, settings.admin_ids, request, _cooldown(settings)
    )
    if submitted.outcome is SupportOutcome.ADDED:
        await message.answer(texts.support_added(submitted.opened_at))
    else:
        await message.answer(texts.SUPPORT_SENT)


async def cmd_cancel(message: Message, writer: Writer) -> None:
    if message.from_user is None or not await cancel_request(writer, message.from_user.id):
        await message.answer(texts.SUPPORT_NOTHING_TO_CANCEL)
        return
    await message.answer(texts.SUPPORT_CANCELLED)


async def on_cancel_button(query: CallbackQuery, writer: Writer) -> None:
    if not await cancel_request(writer, query.from_user.id):
        await query.answer(texts.SUPPORT_NOTHING_TO_CANCEL)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(texts.SUPPORT_CANCELLED)


def _cooldown(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.support_cooldown)
