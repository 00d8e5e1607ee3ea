"""What the texts share: Stars, times, prices, titles, a line per payment or key held, and
how something quoted or tap-to-copy is shown."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.catalog import Catalog, Product, ProductKind
from bot.limits import QUOTE_LIMIT, fit_message, shorten
from storage.models import Payment, Refund

__all__ = [
    "CANCEL_BUTTON",
    "code",
    "entitlement_term",
    "holding",
    "payment_line",
    "price",
    "product_line",
    "product_title",
    "quote",
    "refund_mark",
    "stars",
    "title_of",
    "when",
    "with_product_ids",
]

CANCEL_BUTTON = "Cancel"  # under /paysupport's prompt, and beside Confirm refund


def stars(amount: int) -> str:
    return f"{amount} ⭐"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def code(text: str) -> str:
    """`text` escaped, as code: tap to copy."""
    return f"<code>{escape(text)}</code>"


def quote(text: str) -> str:
    """What Telegram, a buyer or an admin wrote: shortened to QUOTE_LIMIT, then escaped."""
    return escape(shorten(text, QUOTE_LIMIT))


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
        case ProductKind.CONSUMABLE:
            term = "forever, buy as often as you like"
        case _:
            term = "forever"
    if product.codes:
        gives = f"a code, {gives}" if gives else "a code"
    if not gives:
        return f"<b>{escape(product.title)}</b>: {price(product)} (buy as often as you like)"
    return f"<b>{escape(product.title)}</b>: {price(product)}, gives {gives} ({term})"


def product_title(product: Product | None, product_id: str | None) -> str:
    """Plain text: the product's title, or its id once the catalog no longer has it."""
    return product.title if product else product_id or "unknown product"


def title_of(product_id: str | None, catalog: Catalog) -> str:
    return escape(product_title(catalog.get(product_id or ""), product_id))


def with_product_ids(head: str, catalog: Catalog) -> str:
    """`head`, then the catalog's product ids (as many as fit) and a full stop."""
    return fit_message(head, [code(p.id) for p in catalog], ".", ", ")


def entitlement_term(expires_at: datetime | None) -> str:
    return "forever" if expires_at is None else f"until {when(expires_at)}"


def holding(key: str, expires_at: datetime | None) -> str:
    """A line for an entitlement key held: until when."""
    return f"• {escape(key)}, {entitlement_term(expires_at)}"


def refund_mark(refund: Refund | None) -> str:
    return f", refunded {when(refund.refunded_at)}" if refund else ""


def payment_line(payment: Payment, title: str, status: str, *, label: str = "charge id ") -> str:
    """A receipt: the product's title, the amount, when and `status`; under it the charge id."""
    return (
        f"• {title}, {stars(payment.total_amount)}, {when(payment.paid_at)}{status}\n"
        f"  {label}{code(payment.telegram_payment_charge_id)}"
    )
