"""/paysupport: the buyer describes a problem in one message, and every admin gets it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import texts
from bot.catalog import Catalog
from bot.config import Settings
from bot.services.support import SupportRequest, forward_to_admins
from storage import Writer

CANCEL_BUTTON = "support:cancel"


class Support(StatesGroup):
    describing = State()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_paysupport, Command("paysupport"))
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(on_cancel_button, F.data == CANCEL_BUTTON)
    router.message.register(on_description, Support.describing)
    return router


async def cmd_paysupport(message: Message, state: FSMContext, settings: Settings) -> None:
    await state.set_state(Support.describing)
    cancel = InlineKeyboardButton(text="Cancel", callback_data=CANCEL_BUTTON)
    await message.answer(
        texts.support_prompt(settings.paysupport_text),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[cancel]]),
    )


async def on_description(
    message: Message,
    state: FSMContext,
    settings: Settings,
    writer: Writer,
    catalog: Catalog,
) -> None:
    description = (message.text or message.caption or "").strip()
    if not description or description.startswith("/") or message.from_user is None:
        await message.answer(texts.SUPPORT_WORDS_PLEASE)
        return
    if not settings.admin_ids:
        await state.clear()
        await message.answer(texts.SUPPORT_UNAVAILABLE)
        return
    user = message.from_user
    request = SupportRequest(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        description=description,
        message_key=f"{message.chat.id}:{message.message_id}",
    )
    await forward_to_admins(writer, catalog, settings.admin_ids, request)
    await state.clear()
    await message.answer(texts.SUPPORT_SENT)


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(texts.SUPPORT_NOTHING_TO_CANCEL)
        return
    await state.clear()
    await message.answer(texts.SUPPORT_CANCELLED)


async def on_cancel_button(query: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() is None:
        await query.answer(texts.SUPPORT_NOTHING_TO_CANCEL)
        return
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(texts.SUPPORT_CANCELLED)
