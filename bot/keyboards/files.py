"""The "Send my files again" buttons under /mypurchases: one per held key that has files."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from bot import texts
from bot.catalog import Catalog


class ResendFilesButton(CallbackData, prefix="files"):
    """Sends a key's files again; the key is checked when pressed, never trusted."""

    key: str


def resend_buttons(held_keys: Iterable[str], catalog: Catalog) -> list[list[InlineKeyboardButton]]:
    """A row per key among `held_keys` whose catalog entry has files, named after the first
    product that grants it."""
    rows = []
    for key in dict.fromkeys(held_keys):
        content = catalog.unlocks(key)
        if content is None or not content.files:
            continue
        title = next((p.title for p in catalog if key in p.grants), key)
        button = InlineKeyboardButton(
            text=texts.resend_button(title), callback_data=ResendFilesButton(key=key).pack()
        )
        rows.append([button])
    return rows
