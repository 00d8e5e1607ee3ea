"""/start, /shop and /buy: the products, and an offer of one."""

from __future__ import annotations

from html import escape

from bot.catalog import Catalog, Product, ProductKind
from bot.limits import ASKED_LIMIT, MESSAGE_LIMIT, fit_lines, shorten, visible_length
from bot.texts.commands import command_list
from bot.texts.common import price, product_line

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
    tail += command_list()
    room = MESSAGE_LIMIT - len(head) - visible_length(tail)
    titles = fit_lines([escape(p.title) for p in catalog], room, ", ")
    return head + titles + tail


def shop(catalog: Catalog) -> str:
    head, tail = "What you can buy:\n\n", "\n\nPress a button to get an invoice."
    lines = fit_lines([product_line(p) for p in catalog], MESSAGE_LIMIT - len(head) - len(tail))
    return head + lines + tail


def _product_ids(catalog: Catalog, room: int) -> str:
    return fit_lines([f"<code>{p.id}</code>" for p in catalog], room, ", ")


def unknown_product(catalog: Catalog, asked: str) -> str:
    head = f"There is no product {escape(shorten(asked, ASKED_LIMIT))!r}. Products you can buy: "
    return head + _product_ids(catalog, MESSAGE_LIMIT - visible_length(head) - 1) + "."


def buy_usage(catalog: Catalog) -> str:
    head = "Usage: /buy &lt;product_id&gt;. Products: "
    return head + _product_ids(catalog, MESSAGE_LIMIT - visible_length(head) - 1) + "."


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
