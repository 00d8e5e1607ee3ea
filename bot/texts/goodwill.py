"""/grant and /revoke: goodwill, a product given without a payment, and taken back."""

from __future__ import annotations

from html import escape

from bot.catalog import Catalog, Product
from bot.limits import ASKED_LIMIT, fit_message, shorten
from bot.outcomes import GrantResult, RevokeResult
from bot.texts.common import code, holding, with_product_ids

__all__ = [
    "GRANT_USAGE",
    "REVOKE_USAGE",
    "grant_done",
    "grant_needs_days",
    "revoke_done",
    "unknown_product_for_admin",
]

GRANT_USAGE = (
    "Usage: /grant &lt;user_id&gt; &lt;product_id&gt; [days]\n"
    "Gives the product without a payment. Without days: a timed product for its own term, "
    "a one-time product forever; days from 1 to 3650."
)
REVOKE_USAGE = (
    "Usage: /revoke &lt;user_id&gt; &lt;product_id&gt;\n"
    "Ends that user's goodwill grants of the product (a payment's access ends by /refund)."
)


def unknown_product_for_admin(catalog: Catalog, asked: str) -> str:
    head = f"There is no product {escape(shorten(asked, ASKED_LIMIT))!r}. Products: "
    return with_product_ids(head, catalog)


def grant_needs_days(product: Product, user_id: int) -> str:
    return (
        f"{escape(product.title)} is a subscription and has no term of its own: say how many "
        f"days, e.g. <code>/grant {user_id} {product.id} 30</code>."
    )


def grant_done(result: GrantResult, product: Product, user_id: int) -> str:
    head = (
        f"Granted <b>{escape(product.title)}</b> to user <code>{user_id}</code> as goodwill, "
        "without a payment:\n"
    )
    tail = (
        f"\nRecorded as {code(result.charge_id or '')} with your id; it shows in /user {user_id} "
        f"and never counts as revenue. Undo with <code>/revoke {user_id} {product.id}</code>."
    )
    return fit_message(head, [holding(g.key, g.expires_at) for g in result.granted], tail)


def revoke_done(result: RevokeResult, product: Product, user_id: int) -> str:
    title = escape(product.title)
    if result.revoked:
        grants = ", ".join(code(c) for c in result.revoked)
        text = f"Ended the goodwill grant(s) of <b>{title}</b> for user <code>{user_id}</code>: "
        text += f"{grants}."
    else:
        text = (
            f"User <code>{user_id}</code> has no goodwill grant of <b>{title}</b> running; "
            "nothing changed."
        )
    if result.paid:
        head = "\nThey still hold it through payment(s), which only a /refund ends: "
        text = fit_message(text + head, [code(c) for c in result.paid], separator=", ")
    return text
