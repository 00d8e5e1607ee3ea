"""Codes and limited stock: the code in a confirmation and in /mypurchases, a payment that came
when nothing was left, the admins' stock notices, and /stock."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.catalog import Product
from bot.i18n import t
from bot.limits import fit_message
from bot.outcomes import StockLine
from bot.texts.common import code, stars

__all__ = [
    "sold_out_apology",
    "sold_out_mark",
    "sold_out_now",
    "stock_low_notice",
    "stock_out_notice",
    "stock_report",
    "your_code",
]


def sold_out_mark() -> str:
    """After a product's line in /shop."""
    return t("stock-sold-out-mark")


def your_code(secret: str) -> str:
    """The code a payment took, tap to copy: shown to its buyer only."""
    return t("stock-your-code", code=code(secret)) + "\n"


def sold_out_now(product: Product) -> str:
    """Asked for an invoice of a product with nothing left."""
    return t("stock-sold-out-now", title=escape(product.title))


def sold_out_apology(product: Product, amount: int, charge_id: str) -> str:
    return t(
        "stock-sold-out-apology",
        title=escape(product.title),
        amount=stars(amount),
        charge=code(charge_id),
    )


def stock_low_notice(product: Product, left: int) -> str:
    return t(
        "stock-low-notice",
        title=escape(product.title),
        product=code(product.id),
        left=left,
        restock=_restock(product),
    )


def stock_out_notice(product: Product) -> str:
    return t(
        "stock-out-notice",
        title=escape(product.title),
        product=code(product.id),
        restock=_restock(product),
    )


def _restock(product: Product) -> str:
    if product.codes:
        return t("stock-restock-codes", command=code(f'make codes ARGS="add {product.id} FILE"'))
    return t("stock-restock-limit")


def stock_report(lines: Sequence[StockLine]) -> str:
    if not lines:
        return t("stock-report-none")
    rows = [
        t(
            "stock-report-line",
            title=escape(line.product.title),
            product=code(line.product.id),
            left=line.left,
            sold=line.sold,
            reserved=line.reserved,
        )
        for line in lines
    ]
    return fit_message(t("stock-report-head") + "\n", rows, "\n\n" + t("stock-report-reserved"))
