"""/start, /shop and /buy: the products, and an offer of one."""

from __future__ import annotations

from collections.abc import Collection
from html import escape

from bot.catalog import Catalog, Product, ProductKind
from bot.limits import ASKED_LIMIT, fit_message, shorten
from bot.texts.commands import command_list
from bot.texts.common import price, product_line, with_product_ids
from bot.texts.stock import sold_out_mark

__all__ = [
    "already_owned",
    "buy_usage",
    "shop",
    "shop_button",
    "subscribe_button",
    "subscription_offer",
    "unknown_product",
    "welcome",
]


def welcome(catalog: Catalog) -> str:
    head, tail = "Welcome! This shop sells digital goods for Telegram Stars: ", ".\n\n"
    return fit_message(head, [escape(p.title) for p in catalog], tail + command_list(), ", ")


def shop(catalog: Catalog, sold_out: Collection[str] = frozenset()) -> str:
    """`sold_out`: the ids of products with nothing left, marked so (and given no button)."""
    head, tail = "What you can buy:\n\n", "\n\nPress a button to get an invoice."
    lines = [product_line(p) + (sold_out_mark() if p.id in sold_out else "") for p in catalog]
    return fit_message(head, lines, tail)


def unknown_product(catalog: Catalog, asked: str) -> str:
    head = f"There is no product {escape(shorten(asked, ASKED_LIMIT))!r}. Products you can buy: "
    return with_product_ids(head, catalog)


def buy_usage(catalog: Catalog) -> str:
    return with_product_ids("Usage: /buy &lt;product_id&gt;. Products: ", catalog)


def already_owned(product: Product) -> str:
    if product.kind is ProductKind.SUBSCRIPTION:
        return (
            f"You already subscribe to {escape(product.title)}; see /subscriptions to resume "
            "or cancel it."
        )
    return f"You already own {escape(product.title)}; see /mypurchases."


def subscription_offer(product: Product) -> str:
    return (
        f"🧾 Subscription: <b>{escape(product.title)}</b>, {price(product)}\n"
        f"{escape(product.description)}\n\n"
        "Telegram charges it every 30 days until you cancel, which you can do any time in "
        "/subscriptions: you keep what you paid for to the end of its month."
    )


def shop_button(product: Product) -> str:
    """Plain text (buttons take no HTML)."""
    return f"{product.title}: {price(product)}"


def subscribe_button(product: Product) -> str:
    """Plain text (buttons take no HTML)."""
    return f"Subscribe: {price(product)}"
