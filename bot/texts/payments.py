"""What a payment brings: the buyer's confirmation, and what the buyer and the admins are told
when a payment cannot grant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.catalog import Product
from bot.limits import MESSAGE_LIMIT, fit_lines, visible_length
from bot.texts.common import entitlement_term, stars, when
from entitlements import GrantedKey
from storage.models import Payment

__all__ = [
    "admin_payment_already_owned",
    "admin_payment_without_product",
    "payment_already_owned",
    "payment_confirmation",
    "payment_without_product",
    "subscription_confirmation",
]


def payment_confirmation(
    product: Product, granted: Sequence[GrantedKey], charge_id: str, *, recovered: bool = False
) -> str:
    head = (
        "We found a payment of yours that had not reached us, and completed it."
        if recovered
        else "Thank you, payment received!"
    )
    head = f"{head}\nYou bought <b>{escape(product.title)}</b> for {stars(product.price)}.\n"
    head += "You now have:\n"
    tail = f"\n\nCharge id (quote it to /paysupport): <code>{escape(charge_id)}</code>"
    items = [f"• {escape(e.key)}, {entitlement_term(e.expires_at)}" for e in granted]
    room = MESSAGE_LIMIT - visible_length(head) - visible_length(tail)
    return head + fit_lines(items, room) + tail


def subscription_confirmation(
    product: Product,
    amount: int,
    granted: Sequence[GrantedKey],
    charge_id: str,
    *,
    first: bool,
    renews_on: datetime,
    recovered: bool = False,
) -> str:
    """A subscription's first payment, or a renewal: what it gives, and the next renewal."""
    title = f"<b>{escape(product.title)}</b>"
    if recovered:
        head = "We found a payment of yours that had not reached us, and completed it.\n"
    else:
        head = "Thank you, payment received!\n" if first else ""
    head += (
        f"You subscribed to {title} for {stars(amount)} a month.\n"
        if first
        else f"Your subscription to {title} renewed for {stars(amount)}.\n"
    )
    head += "You now have:\n"
    tail = (
        f"\n\nNext renewal on {when(renews_on)}; cancel any time in /subscriptions.\n"
        f"Charge id (quote it to /paysupport): <code>{escape(charge_id)}</code>"
    )
    items = [f"• {escape(e.key)}, {entitlement_term(e.expires_at)}" for e in granted]
    room = MESSAGE_LIMIT - visible_length(head) - visible_length(tail)
    return head + fit_lines(items, room) + tail


def payment_without_product(amount: int, charge_id: str) -> str:
    return (
        f"We received your payment of {stars(amount)}, but the product is no longer sold. "
        "A person will contact you to refund or replace it.\n"
        f"Charge id: <code>{escape(charge_id)}</code>"
    )


def payment_already_owned(product: Product, charge_id: str) -> str:
    return (
        f"We received a second payment for <b>{escape(product.title)}</b>, which you already "
        "own. A person will refund it to your Stars balance.\n"
        f"Charge id: <code>{escape(charge_id)}</code>"
    )


def admin_payment_already_owned(payment: Payment, product: Product) -> str:
    return (
        f"⚠️ User {payment.user_id} paid {stars(payment.total_amount)} again for "
        f"{escape(product.title)}, which they already own. Nothing was granted: refund it with\n"
        f"<code>/refund {escape(payment.telegram_payment_charge_id)}</code>"
    )


def admin_payment_without_product(user_id: int, payment: Payment) -> str:
    return (
        f"⚠️ Payment of {stars(payment.total_amount)} by user {user_id} for an unknown product "
        f"(payload {escape(payment.invoice_payload)!r}). Nothing was granted: refund it with\n"
        f"<code>/refund {escape(payment.telegram_payment_charge_id)}</code>"
    )
