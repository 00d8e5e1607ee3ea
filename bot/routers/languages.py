"""/language: a user chooses the language the bot speaks to them, kept across restarts; the
answer is already in it."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot import texts
from bot.i18n import speaking
from bot.keyboards.languages import LanguageChoice, languages_keyboard
from bot.services.languages import UserLanguages


def create_router() -> Router:
    router = Router(name=__name__)
    # A private command (bot.routers.private_only): a group gets one line pointing here.
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(on_language_chosen, LanguageChoice.filter())
    return router


async def cmd_language(message: Message, languages: UserLanguages) -> None:
    await message.answer(
        texts.language_prompt(), reply_markup=languages_keyboard(languages.offered)
    )


async def on_language_chosen(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    languages: UserLanguages,
    i18n: I18nContext,
    bot: Bot,
) -> None:
    if callback_data.language not in languages.offered:
        await query.answer(texts.language_unknown_alert(), show_alert=True)
        return
    # Kept before the answer: the answer says it is, in the language chosen.
    await i18n.set_locale(callback_data.language)
    await query.answer()
    with speaking(callback_data.language):
        await bot.send_message(query.from_user.id, texts.language_chosen())
