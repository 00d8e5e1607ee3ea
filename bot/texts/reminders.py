"""Reminders a day before paid access ends, and their buttons."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.catalog import Product
from bot.texts.common import price, when

__all__ = [
    "buy_again_button",
    "reminder_subscription",
    "reminder_timed",
]


def reminder_timed(product: Product, ends_at: datetime) -> str:
    ends = _ends_soon(f"Your <b>{escape(product.title)}</b>", ends_at)
    return f"{ends}.\nBuy it again to add {product.duration_days} more days from then."


def reminder_subscription(product: Product, ends_at: datetime) -> str:
    ends = _ends_soon(f"Your subscription to <b>{escape(product.title)}</b>", ends_at)
    return f"{ends}: you cancelled its renewal. Resume it to keep it, for {price(product)}."


def _ends_soon(what: str, ends_at: datetime) -> str:
    return f"⏰ {what} ends on {when(ends_at)}, in about a day"


def buy_again_button(product: Product) -> str:
    """Plain text (buttons take no HTML)."""
    return f"Buy again: {price(product)}"
