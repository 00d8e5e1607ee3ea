"""The buttons that offer a product: under /shop, a subscription's invoice link, and a
reminder's Buy again."""

from __future__ import annotations

from collections.abc import Collection

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.catalog import Catalog, Product


class BuyButton(CallbackData, prefix="buy"):
    """Offers the product, as /buy does: under /shop, and under a reminder."""

    product_id: str


def shop_keyboard(
    catalog: Catalog, sold_out: Collection[str] = frozenset()
) -> InlineKeyboardMarkup:
    """A Buy button per product, but those sold out."""
    builder = InlineKeyboardBuilder()
    for product in (p for p in catalog if p.id not in sold_out):
        builder.button(
            text=texts.shop_button(product), callback_data=BuyButton(product_id=product.id)
        )
    builder.adjust(1)
    return builder.as_markup()


def subscribe_keyboard(product: Product, link: str) -> InlineKeyboardMarkup:
    """The invoice link of a subscription, as a button."""
    button = InlineKeyboardButton(text=texts.subscribe_button(product), url=link)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def buy_again_keyboard(product: Product) -> InlineKeyboardMarkup:
    """Under the reminder that a timed product ends."""
    button = InlineKeyboardButton(
        text=texts.buy_again_button(product),
        callback_data=BuyButton(product_id=product.id).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
