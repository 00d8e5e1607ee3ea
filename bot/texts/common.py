"""What the texts share: Stars, times, prices, titles, a line per payment or key held, and
how something quoted or tap-to-copy is shown."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from html import escape

from bot.catalog import Catalog, Product, ProductKind
from bot.i18n import current_language, speaking, t
from bot.limits import QUOTE_LIMIT, fit_message, shorten
from storage.models import Payment, Refund

__all__ = [
    "cancel_button",
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


def cancel_button() -> str:
    """Under /paysupport's prompt, and beside Confirm refund."""
    return t("common-cancel-button")


def stars(amount: int) -> str:
    return _stars(current_language(), amount)


def when(moment: datetime) -> str:
    """A moment in the language's form, in UTC, to the minute."""
    minute = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
    return _when(current_language(), minute.replace(second=0, microsecond=0))


# Babel's number and date forms cost tens of microseconds each, and every confirmation, receipt
# and list shows a few: the same amounts and minutes come back, in a sale most of all.
@lru_cache(maxsize=4096)
def _stars(language: str, amount: int) -> str:
    with speaking(language):
        return t("common-stars", amount=amount)


@lru_cache(maxsize=4096)
def _when(language: str, minute: datetime) -> str:
    with speaking(language):
        return t("common-when", moment=minute)


def code(text: str) -> str:
    """`text` escaped, as code: tap to copy."""
    return f"<code>{escape(text)}</code>"


def quote(text: str) -> str:
    """What Telegram, a buyer or an admin wrote: shortened to QUOTE_LIMIT, then escaped."""
    return escape(shorten(text, QUOTE_LIMIT))


def price(product: Product) -> str:
    """Plain text: what the product costs (a subscription, each month)."""
    if product.kind is ProductKind.SUBSCRIPTION:
        return t("common-price-monthly", amount=product.price)
    return stars(product.price)


def product_line(product: Product) -> str:
    gives = ", ".join(escape(key) for key in product.grants)
    match product.kind:
        case ProductKind.TIMED:
            term = t("common-term-timed", days=product.duration_days or 0)
        case ProductKind.SUBSCRIPTION:
            term = t("common-term-subscription")
        case ProductKind.CONSUMABLE:
            term = t("common-term-consumable")
        case _:
            term = t("common-term-forever")
    if product.codes:
        gives = t("common-gives-code-and", keys=gives) if gives else t("common-gives-code")
    title = escape(product.title)
    if not gives:
        return t("common-product-line-nothing-held", title=title, price=price(product))
    return t("common-product-line", title=title, price=price(product), gives=gives, term=term)


def product_title(product: Product | None, product_id: str | None) -> str:
    """Plain text: the product's title, or its id once the catalog no longer has it."""
    return product.title if product else product_id or t("common-unknown-product")


def title_of(product_id: str | None, catalog: Catalog) -> str:
    return escape(product_title(catalog.get(product_id or ""), product_id))


def with_product_ids(head: str, catalog: Catalog) -> str:
    """`head`, then the catalog's product ids (as many as fit) and a full stop."""
    return fit_message(head, [code(p.id) for p in catalog], ".", ", ")


def entitlement_term(expires_at: datetime | None) -> str:
    if expires_at is None:
        return t("common-term-forever")
    return t("common-until", when=when(expires_at))


def holding(key: str, expires_at: datetime | None) -> str:
    """A line for an entitlement key held: until when."""
    return t("common-holding", key=escape(key), term=entitlement_term(expires_at))


def refund_mark(refund: Refund | None) -> str:
    return t("common-refunded", when=when(refund.refunded_at)) if refund else ""


def payment_line(payment: Payment, title: str, status: str, *, labelled: bool = True) -> str:
    """A receipt: the product's title, the amount, when and `status`; under it the charge id
    (`labelled` as one, or alone)."""
    return t(
        "common-payment-line",
        title=title,
        amount=stars(payment.total_amount),
        when=when(payment.paid_at),
        status=status,
        label=t("common-charge-label") if labelled else "",
        charge=code(payment.telegram_payment_charge_id),
    )
