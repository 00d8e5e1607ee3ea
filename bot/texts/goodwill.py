"""/grant and /revoke: goodwill, a product given without a payment, and taken back."""

from __future__ import annotations

from html import escape

from bot.catalog import Catalog, Product
from bot.i18n import t
from bot.limits import ASKED_LIMIT, fit_message, shorten
from bot.outcomes import GrantResult, RevokeResult
from bot.texts.common import code, holding, with_product_ids

__all__ = [
    "grant_done",
    "grant_needs_days",
    "grant_usage",
    "revoke_done",
    "revoke_usage",
    "unknown_product_for_admin",
]


def grant_usage() -> str:
    return t("goodwill-grant-usage")


def revoke_usage() -> str:
    return t("goodwill-revoke-usage")


def unknown_product_for_admin(catalog: Catalog, asked: str) -> str:
    head = t("goodwill-unknown-product", asked=escape(shorten(asked, ASKED_LIMIT)))
    return with_product_ids(head, catalog)


def grant_needs_days(product: Product, user_id: int) -> str:
    return t(
        "goodwill-needs-days",
        title=escape(product.title),
        user=str(user_id),
        product=escape(product.id),
    )


def grant_done(result: GrantResult, product: Product, user_id: int) -> str:
    title, user, product_id = escape(product.title), str(user_id), escape(product.id)
    head = t("goodwill-granted-head", title=title, user=user) + "\n"
    tail = t(
        "goodwill-granted-tail",
        charge=code(result.charge_id or ""),
        user=user,
        product=product_id,
    )
    return fit_message(head, [holding(g.key, g.expires_at) for g in result.granted], "\n" + tail)


def revoke_done(result: RevokeResult, product: Product, user_id: int) -> str:
    title, user = escape(product.title), str(user_id)
    if result.revoked:
        grants = ", ".join(code(c) for c in result.revoked)
        count = len(result.revoked)
        text = t("goodwill-revoked", count=count, title=title, user=user, grants=grants)
    else:
        text = t("goodwill-nothing-to-revoke", title=title, user=user)
    if result.paid:
        head = "\n" + t("goodwill-still-paid", count=len(result.paid))
        text = fit_message(text + head, [code(c) for c in result.paid], separator=", ")
    return text
