"""/start, /shop and /buy: the products, and an offer of one."""

from __future__ import annotations

from collections.abc import Collection
from html import escape

from bot.catalog import Catalog, Product, ProductKind
from bot.i18n import t
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
    titles = [escape(p.title) for p in catalog]
    return fit_message(t("shop-welcome"), titles, ".\n\n" + command_list(), ", ")


def shop(catalog: Catalog, sold_out: Collection[str] = frozenset()) -> str:
    """`sold_out`: the ids of products with nothing left, marked so (and given no button)."""
    lines = [product_line(p) + (sold_out_mark() if p.id in sold_out else "") for p in catalog]
    return fit_message(t("shop-head") + "\n\n", lines, "\n\n" + t("shop-tail"))


def unknown_product(catalog: Catalog, asked: str) -> str:
    head = t("shop-unknown-product", asked=escape(shorten(asked, ASKED_LIMIT)))
    return with_product_ids(head, catalog)


def buy_usage(catalog: Catalog) -> str:
    return with_product_ids(t("shop-buy-usage"), catalog)


def already_owned(product: Product) -> str:
    title = escape(product.title)
    if product.kind is ProductKind.SUBSCRIPTION:
        return t("shop-already-subscribed", title=title)
    return t("shop-already-owned", title=title)


def subscription_offer(product: Product) -> str:
    return t(
        "shop-subscription-offer",
        title=escape(product.title),
        price=price(product),
        description=escape(product.description),
    )


def shop_button(product: Product) -> str:
    """Plain text (buttons take no HTML)."""
    return t("shop-button", title=product.title, price=price(product))


def subscribe_button(product: Product) -> str:
    """Plain text (buttons take no HTML)."""
    return t("shop-subscribe-button", price=price(product))
