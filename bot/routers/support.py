"""/paysupport: the buyer describes a problem in one message, and every admin gets it once per
SUPPORT_COOLDOWN; what the buyer sends meanwhile is added to the stored request."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.config import Settings
from bot.filters import InPrivateChat
from bot.i18n import current_language
from bot.keyboards.support import CANCEL_DATA, cancel_keyboard
from bot.services.support import Support, SupportMessage, SupportOutcome


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(InPrivateChat())  # a buyer's own data; in a group: private_only
    router.callback_query.filter(InPrivateChat())
    router.message.register(cmd_paysupport, Command("paysupport"))
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(on_cancel_button, F.data == CANCEL_DATA)
    router.message.register(on_description, awaiting_description)
    return router


async def awaiting_description(message: Message, support: Support) -> bool:
    """Passes while /paysupport waits for this buyer's description (stored: a restart keeps it)."""
    return message.from_user is not None and await support.is_asked(message.from_user.id)


async def cmd_paysupport(message: Message, support: Support, settings: Settings) -> None:
    if message.from_user is None:
        return
    open_since = await support.ask_for_description(message.from_user.id)
    prompt = (
        texts.support_already_open(open_since)
        if open_since is not None
        else texts.support_prompt(paysupport_text(settings))
    )
    await message.answer(prompt, reply_markup=cancel_keyboard())


async def on_description(message: Message, support: Support) -> None:
    description = (message.text or message.caption or "").strip()
    user = message.from_user
    if not description or description.startswith("/") or user is None:
        await message.answer(texts.support_words_please())
        return
    if not support.available:
        await support.cancel(user.id)
        await message.answer(texts.support_unavailable())
        return
    request = SupportMessage(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        description=description,
        message_key=f"{message.chat.id}:{message.message_id}",
    )
    submitted = await support.submit(request)
    if submitted.outcome is SupportOutcome.ADDED:
        await message.answer(texts.support_added(submitted.opened_at))
    else:
        await message.answer(texts.support_sent())


async def cmd_cancel(message: Message, support: Support) -> None:
    if message.from_user is None or not await support.cancel(message.from_user.id):
        await message.answer(texts.support_nothing_to_cancel())
        return
    await message.answer(texts.support_cancelled())


async def on_cancel_button(query: CallbackQuery, support: Support) -> None:
    if not await support.cancel(query.from_user.id):
        await query.answer(texts.support_nothing_to_cancel())
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(texts.support_cancelled())


def paysupport_text(settings: Settings) -> str:
    """The shop's PAYSUPPORT_TEXT in the buyer's language, or the bot's own."""
    own = settings.text_in("paysupport_text", current_language())
    return own or texts.default_paysupport_text()
