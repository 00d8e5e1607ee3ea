"""Paying: why a pre-checkout is refused, the buyer's confirmation, and what the buyer and the
admins are told when a payment cannot grant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.catalog import Product
from bot.limits import fit_message
from bot.outcomes import Refusal
from bot.texts.access import chat_unavailable
from bot.texts.common import code, holding, stars, when
from bot.texts.stock import your_code
from entitlements import GrantedKey
from storage.models import Payment

__all__ = [
    "REFUSAL_MESSAGES",
    "admin_payment_already_owned",
    "admin_payment_without_product",
    "payment_already_owned",
    "payment_confirmation",
    "payment_without_product",
    "subscription_confirmation",
]

_RECOVERED = "We found a payment of yours that had not reached us, and completed it.\n"
_THANK_YOU = "Thank you, payment received!\n"
# What the buyer reads when the pre-checkout is refused (answerPreCheckoutQuery: plain text).
REFUSAL_MESSAGES: dict[Refusal, str] = {
    Refusal.FOREIGN_PAYLOAD: "This invoice was not issued by this shop. "
    "Open /shop and pay with a fresh invoice.",
    Refusal.PRODUCT_GONE: "This product is no longer sold, so nothing was charged. "
    "See /shop for what is available.",
    Refusal.PRICE_CHANGED: "The price has changed since this invoice was sent, so nothing was "
    "charged. Open /shop for an invoice at the current price.",
    Refusal.AMOUNT_MISMATCH: "The amount does not match this invoice, so nothing was charged. "
    "Open /shop for a fresh invoice.",
    Refusal.WRONG_CURRENCY: "This shop accepts Telegram Stars (XTR) only. "
    "Open /shop for a Stars invoice.",
    Refusal.ALREADY_OWNED: "You already own this, so nothing was charged. "
    "See /mypurchases for what you have.",
    Refusal.ALREADY_SUBSCRIBED: "You already have this subscription, so nothing was charged. "
    "See /subscriptions to resume or cancel it.",
    Refusal.TEMPORARY: "Temporary problem, please try again in a minute. Nothing was charged.",
    Refusal.SOLD_OUT: "Sorry, this is sold out, so nothing was charged. "
    "See /shop for what is available.",
    Refusal.CHAT_UNAVAILABLE: chat_unavailable(),  # English until payments' texts convert
}


def payment_confirmation(
    product: Product,
    granted: Sequence[GrantedKey],
    charge_id: str,
    *,
    recovered: bool = False,
    secret: str | None = None,
) -> str:
    """`secret`: the code the payment took, for its buyer."""
    head = _RECOVERED if recovered else _THANK_YOU
    head += f"You bought <b>{escape(product.title)}</b> for {stars(product.price)}.\n"
    if secret is not None:
        head += your_code(secret)
    if not granted:  # a code, or a consumable that gives nothing to hold (a tip, a unit)
        return head + f"\nCharge id (quote it to /paysupport): {code(charge_id)}"
    return _confirmation(head, granted, charge_id)


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
    head = _RECOVERED if recovered else _THANK_YOU if first else ""
    head += (
        f"You subscribed to {title} for {stars(amount)} a month.\n"
        if first
        else f"Your subscription to {title} renewed for {stars(amount)}.\n"
    )
    renewal = f"Next renewal on {when(renews_on)}; cancel any time in /subscriptions.\n"
    return _confirmation(head, granted, charge_id, renewal)


def _confirmation(
    head: str, granted: Sequence[GrantedKey], charge_id: str, renewal: str = ""
) -> str:
    """`head`, what the payment gave (as much as fits), and the charge id to quote."""
    tail = f"\n\n{renewal}Charge id (quote it to /paysupport): {code(charge_id)}"
    keys = [holding(e.key, e.expires_at) for e in granted]
    return fit_message(head + "You now have:\n", keys, tail)


def payment_without_product(amount: int, charge_id: str) -> str:
    return (
        f"We received your payment of {stars(amount)}, but the product is no longer sold. "
        f"A person will contact you to refund or replace it.\nCharge id: {code(charge_id)}"
    )


def payment_already_owned(product: Product, charge_id: str) -> str:
    return (
        f"We received a second payment for <b>{escape(product.title)}</b>, which you already "
        f"own. A person will refund it to your Stars balance.\nCharge id: {code(charge_id)}"
    )


def admin_payment_already_owned(payment: Payment, product: Product) -> str:
    paid = f"User {payment.user_id} paid {stars(payment.total_amount)} again for"
    return _granted_nothing(f"{paid} {escape(product.title)}, which they already own", payment)


def admin_payment_without_product(user_id: int, payment: Payment) -> str:
    paid = f"Payment of {stars(payment.total_amount)} by user {user_id} for an unknown product"
    return _granted_nothing(f"{paid} (payload {escape(payment.invoice_payload)!r})", payment)


def _granted_nothing(what: str, payment: Payment) -> str:
    """To every admin: a payment that granted nothing, and how to refund it."""
    command = f"/refund {payment.telegram_payment_charge_id}"
    return f"⚠️ {what}. Nothing was granted: refund it with\n{code(command)}"
