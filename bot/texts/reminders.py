"""Reminders a day before paid access ends, and their buttons."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.catalog import Product
from bot.i18n import t
from bot.texts.common import price, when

__all__ = [
    "buy_again_button",
    "reminder_subscription",
    "reminder_timed",
]


def reminder_timed(product: Product, ends_at: datetime) -> str:
    return t(
        "reminders-timed",
        title=escape(product.title),
        when=when(ends_at),
        days=product.duration_days or 0,
    )


def reminder_subscription(product: Product, ends_at: datetime) -> str:
    return t(
        "reminders-subscription",
        title=escape(product.title),
        when=when(ends_at),
        price=price(product),
    )


def buy_again_button(product: Product) -> str:
    """Plain text (buttons take no HTML)."""
    return t("reminders-buy-again-button", price=price(product))
