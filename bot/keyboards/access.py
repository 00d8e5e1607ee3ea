"""The buttons of private chats: Join (an invite link that asks the bot to let the buyer in),
and the Buy buttons shown to someone who asked to join without the key."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.catalog import Product
from bot.keyboards.shop import BuyButton


def join_buttons(links: Sequence[tuple[str, str]]) -> list[list[InlineKeyboardButton]]:
    """A row with one "Join <title>" button per (title, invite link)."""
    return [[InlineKeyboardButton(text=texts.join_button(title), url=url)] for title, url in links]


def join_keyboard(links: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """`join_buttons` as a keyboard; None without any link."""
    rows = join_buttons(links)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def buy_keyboard(products: Sequence[Product]) -> InlineKeyboardMarkup | None:
    """A Buy button per product, as under /shop: each sends its invoice."""
    if not products:
        return None
    rows = [
        [
            InlineKeyboardButton(
                text=texts.shop_button(product),
                callback_data=BuyButton(product_id=product.id).pack(),
            )
        ]
        for product in products
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def join_markup(links: Sequence[tuple[str, str]]) -> str | None:
    """`join_keyboard`, as the outbox stores a keyboard."""
    keyboard = join_keyboard(links)
    return keyboard.model_dump_json(exclude_none=True) if keyboard else None
