"""What the texts share: Stars, times, prices and a product or a title in one line."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.catalog import Catalog, Product, ProductKind

__all__ = [
    "CANCEL_BUTTON",
    "entitlement_term",
    "price",
    "product_line",
    "stars",
    "title_of",
    "when",
]

CANCEL_BUTTON = "Cancel"  # under /paysupport's prompt, and beside Confirm refund


def stars(amount: int) -> str:
    return f"{amount} ⭐"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def price(product: Product) -> str:
    """Plain text: what the product costs (a subscription, each month)."""
    if product.kind is ProductKind.SUBSCRIPTION:
        return f"{stars(product.price)} a month"
    return stars(product.price)


def product_line(product: Product) -> str:
    gives = ", ".join(escape(key) for key in product.grants)
    match product.kind:
        case ProductKind.TIMED:
            term = f"for {product.duration_days} days"
        case ProductKind.SUBSCRIPTION:
            term = "renews every 30 days until you cancel"
        case _:
            term = "forever"
    return f"<b>{escape(product.title)}</b>: {price(product)}, gives {gives} ({term})"


def entitlement_term(expires_at: datetime | None) -> str:
    return "forever" if expires_at is None else f"until {when(expires_at)}"


def title_of(product_id: str | None, catalog: Catalog) -> str:
    product = catalog.get(product_id or "")
    return escape(product.title if product else product_id or "unknown product")
