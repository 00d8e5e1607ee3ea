"""/mypurchases: what the buyer owns, their subscriptions and their receipts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from bot.catalog import Catalog
from bot.limits import MESSAGE_LIMIT, fit_lines, visible_length
from bot.texts.common import entitlement_term, stars, when
from bot.texts.subscriptions import subscription_line
from entitlements import ActiveEntitlement
from storage.models import Payment, Refund, Subscription

__all__ = [
    "my_purchases",
]


def my_purchases(
    active: Iterable[ActiveEntitlement],
    subscriptions: Sequence[Subscription],
    payments: Sequence[Payment],
    refunds: dict[str, Refund],
    catalog: Catalog,
    now: datetime,
) -> str:
    owned = [f"• {escape(a.key)}, {entitlement_term(a.expires_at)}" for a in active]
    if not owned and not payments:
        return "You have not bought anything yet. See /shop."
    receipts = []
    for p in payments:  # newest first
        product = catalog.get(p.product_id)
        title = escape(product.title) if product else escape(p.product_id or "unknown product")
        status = (
            f", refunded {when(refunds[p.telegram_payment_charge_id].refunded_at)}"
            if (p.telegram_payment_charge_id in refunds)
            else ""
        )
        receipts.append(
            f"• {title}, {stars(p.total_amount)}, {when(p.paid_at)}{status}\n"
            f"  charge id <code>{escape(p.telegram_payment_charge_id)}</code>"
        )
    # What the buyer holds comes first; the payments get the room it leaves.
    text = "You own:\n" + (fit_lines(owned, MESSAGE_LIMIT // 4) if owned else "nothing right now")
    if subscriptions:
        lines = [subscription_line(sub, catalog, now) for sub in subscriptions]
        text += "\n\nSubscriptions (/subscriptions to cancel or resume):\n"
        text += fit_lines(lines, MESSAGE_LIMIT // 4)
    if receipts:
        head = "\n\nYour payments:\n"
        room = MESSAGE_LIMIT - visible_length(text) - len(head)
        text += head + fit_lines(receipts, room)
    return text
