"""Codes and limited stock: the code in a confirmation and in /mypurchases, a payment that came
when nothing was left, the admins' stock notices, and /stock."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.catalog import Product
from bot.limits import fit_message
from bot.outcomes import StockLine
from bot.texts.common import code, stars

__all__ = [
    "SOLD_OUT_MARK",
    "sold_out_apology",
    "sold_out_now",
    "stock_low_notice",
    "stock_out_notice",
    "stock_report",
    "your_code",
]

SOLD_OUT_MARK = " — <b>sold out</b>"


def your_code(secret: str) -> str:
    """The code a payment took, tap to copy: shown to its buyer only."""
    return f"Your code: {code(secret)}\n"


def sold_out_now(product: Product) -> str:
    """Asked for an invoice of a product with nothing left."""
    return f"Sorry, <b>{escape(product.title)}</b> is sold out. See /shop for what is available."


def sold_out_apology(product: Product, amount: int, charge_id: str) -> str:
    return (
        f"We are sorry: <b>{escape(product.title)}</b> sold out just before your payment "
        f"arrived, so we could not give you one. Your {stars(amount)} go back to your Stars "
        "balance automatically, and we will tell you when they have. See /shop for what is "
        f"still available.\nCharge id: {code(charge_id)}"
    )


def stock_low_notice(product: Product, left: int) -> str:
    return (
        f"📦 <b>{escape(product.title)}</b> ({code(product.id)}) is running low: {left} left. "
        + _restock(product)
    )


def stock_out_notice(product: Product) -> str:
    return (
        f"📦 <b>{escape(product.title)}</b> ({code(product.id)}) is sold out: buyers are "
        "refused at checkout. " + _restock(product)
    )


def _restock(product: Product) -> str:
    if product.codes:
        command = code(f'make codes ARGS="add {product.id} FILE"')
        return f"Load more with {command}."
    return "Raise its stock in the catalog to sell more."


def stock_report(lines: Sequence[StockLine]) -> str:
    if not lines:
        return "No product has codes or a stock limit."
    rows = [
        f"• <b>{escape(line.product.title)}</b> ({code(line.product.id)}): {line.left} left, "
        f"{line.sold} sold, {line.reserved} reserved"
        for line in lines
    ]
    tail = "\n\nReserved: accepted at checkout in the last minutes, payment not yet stored."
    return fit_message("Stock:\n", rows, tail)
