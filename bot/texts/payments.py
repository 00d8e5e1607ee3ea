"""Paying: why a pre-checkout is refused, the buyer's confirmation, and what the buyer and the
admins are told when a payment cannot grant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.catalog import Product
from bot.i18n import t
from bot.limits import fit_message
from bot.outcomes import Refusal
from bot.texts.access import chat_unavailable
from bot.texts.common import code, holding, stars, when
from bot.texts.stock import your_code
from entitlements import GrantedKey
from storage.models import Payment

__all__ = [
    "admin_payment_already_owned",
    "admin_payment_without_product",
    "payment_already_owned",
    "payment_confirmation",
    "payment_without_product",
    "refusal_message",
    "subscription_confirmation",
]


def refusal_message(refusal: Refusal) -> str:
    """What the buyer reads when the pre-checkout is refused (answerPreCheckoutQuery: plain
    text)."""
    match refusal:
        case Refusal.FOREIGN_PAYLOAD:
            return t("payments-refused-foreign-payload")
        case Refusal.PRODUCT_GONE:
            return t("payments-refused-product-gone")
        case Refusal.PRICE_CHANGED:
            return t("payments-refused-price-changed")
        case Refusal.AMOUNT_MISMATCH:
            return t("payments-refused-amount-mismatch")
        case Refusal.WRONG_CURRENCY:
            return t("payments-refused-wrong-currency")
        case Refusal.ALREADY_OWNED:
            return t("payments-refused-already-owned")
        case Refusal.ALREADY_SUBSCRIBED:
            return t("payments-refused-already-subscribed")
        case Refusal.TEMPORARY:
            return t("payments-refused-temporary")
        case Refusal.SOLD_OUT:
            return t("payments-refused-sold-out")
        case Refusal.CHAT_UNAVAILABLE:
            return chat_unavailable()


def _opening(*, recovered: bool) -> str:
    """A confirmation's first line: thanks, or that the payment was found late."""
    return t("payments-recovered") if recovered else t("payments-thank-you")


def payment_confirmation(
    product: Product,
    granted: Sequence[GrantedKey],
    charge_id: str,
    *,
    recovered: bool = False,
    secret: str | None = None,
) -> str:
    """`secret`: the code the payment took, for its buyer."""
    bought = t("payments-bought", title=escape(product.title), amount=stars(product.price))
    head = _opening(recovered=recovered) + "\n" + bought + "\n"
    if secret is not None:
        head += your_code(secret)
    if not granted:  # a code, or a consumable that gives nothing to hold (a tip, a unit)
        return head + "\n" + t("payments-charge-to-quote", charge=code(charge_id))
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
    title = escape(product.title)
    if first:
        paid = t("payments-subscribed", title=title, amount=stars(amount))
    else:
        paid = t("payments-renewed", title=title, amount=stars(amount))
    head = _opening(recovered=recovered) + "\n" if recovered or first else ""
    head += paid + "\n"
    renewal = t("payments-next-renewal", when=when(renews_on)) + "\n"
    return _confirmation(head, granted, charge_id, renewal)


def _confirmation(
    head: str, granted: Sequence[GrantedKey], charge_id: str, renewal: str = ""
) -> str:
    """`head`, what the payment gave (as much as fits), and the charge id to quote."""
    tail = "\n\n" + renewal + t("payments-charge-to-quote", charge=code(charge_id))
    keys = [holding(e.key, e.expires_at) for e in granted]
    return fit_message(head + t("payments-you-now-have") + "\n", keys, tail)


def payment_without_product(amount: int, charge_id: str) -> str:
    return t("payments-without-product", amount=stars(amount), charge=code(charge_id))


def payment_already_owned(product: Product, charge_id: str) -> str:
    return t("payments-already-owned", title=escape(product.title), charge=code(charge_id))


def admin_payment_already_owned(payment: Payment, product: Product) -> str:
    return t(
        "payments-admin-already-owned",
        user=str(payment.user_id),
        amount=stars(payment.total_amount),
        title=escape(product.title),
        command=_refund_command(payment),
    )


def admin_payment_without_product(user_id: int, payment: Payment) -> str:
    return t(
        "payments-admin-without-product",
        amount=stars(payment.total_amount),
        user=str(user_id),
        payload=escape(payment.invoice_payload),
        command=_refund_command(payment),
    )


def _refund_command(payment: Payment) -> str:
    """For every admin told of a payment that granted nothing: how to refund it, tap to copy."""
    return code(f"/refund {payment.telegram_payment_charge_id}")
