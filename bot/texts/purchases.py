"""/mypurchases: what the buyer owns, their subscriptions and their receipts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from bot.catalog import Catalog
from bot.i18n import t
from bot.limits import MESSAGE_LIMIT, fit_lines, fit_message
from bot.texts.common import (
    holding,
    payment_line,
    refund_mark,
    title_of,
)
from bot.texts.stock import your_code
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
    codes: Mapping[str, str] | None = None,
) -> str:
    """`codes`: the codes the payments took (not refunded), by charge id."""
    owned = [holding(a.key, a.expires_at) for a in active]
    if not owned and not payments:
        return t("purchases-nothing-yet")
    receipts = []
    for p in payments:  # newest first
        refund = refunds.get(p.telegram_payment_charge_id)
        line = payment_line(p, title_of(p.product_id, catalog), refund_mark(refund))
        secret = (codes or {}).get(p.telegram_payment_charge_id)
        receipts.append(line + (f"\n  {your_code(secret).strip()}" if secret else ""))
    # What the buyer holds comes first; the payments get the room it leaves.
    held = fit_lines(owned, MESSAGE_LIMIT // 4) if owned else t("purchases-owned-nothing")
    text = t("purchases-owned") + "\n" + held
    if subscriptions:
        lines = [subscription_line(sub, catalog, now) for sub in subscriptions]
        text += "\n\n" + t("purchases-subscriptions") + "\n"
        text += fit_lines(lines, MESSAGE_LIMIT // 4)
    if receipts:
        text = fit_message(text + "\n\n" + t("purchases-payments") + "\n", receipts)
    return text
