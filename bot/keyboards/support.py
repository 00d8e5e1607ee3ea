"""The Cancel button under /paysupport's prompt."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts

CANCEL_DATA = "support:cancel"


def cancel_keyboard() -> InlineKeyboardMarkup:
    cancel = InlineKeyboardButton(text=texts.cancel_button(), callback_data=CANCEL_DATA)
    return InlineKeyboardMarkup(inline_keyboard=[[cancel]])
