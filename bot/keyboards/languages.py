"""/language's buttons: one per language the bot speaks, each in its own language."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts


class LanguageChoice(CallbackData, prefix="lang"):
    language: str


def languages_keyboard(offered: tuple[str, ...]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=texts.language_name(language),
            callback_data=LanguageChoice(language=language).pack(),
        )
        for language in offered
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])
