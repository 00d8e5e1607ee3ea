"""Refunds: an admin's /refund and Refund button, what became of a refunded subscription, and
the buyer's notice."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.catalog import Catalog, Product
from bot.limits import ALERT_LIMIT, QUOTE_LIMIT, shorten
from bot.outcomes import (
    AdminRefundResult,
    AdminRefundStatus,
    AfterRefund,
    SubscriptionAfterRefund,
    SubscriptionState,
    status_of,
)
from bot.texts.common import code, product_title, quote, stars, when
from storage.models import Payment, Refund

__all__ = [
    "ALERT_REASON_LIMIT",
    "CONFIRM_REFUND_BUTTON",
    "PAYMENT_GONE",
    "REFUNDING",
    "REFUND_CANCELLED",
    "REFUND_USAGE",
    "refund_already",
    "refund_already_alert",
    "refund_button_label",
    "refund_done",
    "refund_failed",
    "refund_gave_up",
    "refund_not_recorded",
    "refund_notice",
    "refund_outcome",
    "refund_outcome_unknown",
    "refund_question",
    "refund_unknown",
    "subscription_after_refund",
]


REFUND_USAGE = (
    "Usage: /refund &lt;telegram_payment_charge_id&gt; [reason]\n"
    "The charge id is on the buyer's receipt and in their /paysupport request."
)
REFUND_CANCELLED = "Refund cancelled; nothing changed."
PAYMENT_GONE = "There is no such payment any more; nothing was done."
ALERT_REASON_LIMIT = 60  # the most of a refund's reason an alert shows
CONFIRM_REFUND_BUTTON = "Confirm refund"
REFUNDING = "Refunding…"  # the alert while Telegram is asked, after Confirm refund
_NOTHING_CHANGED = "Nothing changed and the buyer keeps access; try again"


def refund_notice(
    payment: Payment, product: Product | None, *, revoked: int, granted_instead: Payment | None
) -> str:
    """To the buyer: what the refund changed for what they own."""
    title = escape(product.title) if product else "your purchase"
    head = (
        f"Your payment of {stars(payment.total_amount)} for <b>{title}</b> was refunded to your "
        "Stars balance"
    )
    if granted_instead is not None:
        other = code(granted_instead.telegram_payment_charge_id)
        change = (
            f".\nYou keep <b>{title}</b>: your other payment for it (charge id {other}), which "
            "we had said a person would refund, now gives it to you instead."
        )
    elif revoked:
        change = ", and the access it gave has ended."
    else:
        change = ". It had not given you anything, so what you own stays as it is."
    return f"{head}{change}\nCharge id: {code(payment.telegram_payment_charge_id)}"


def _paid_for(payment: Payment, product: Product | None) -> str:
    title = escape(product_title(product, payment.product_id))
    return f"{stars(payment.total_amount)} for <b>{title}</b> to user {payment.user_id}"


def refund_unknown(charge_id: str) -> str:
    return f"No payment with that charge id (<code>{quote(charge_id)}</code>); nothing was done."


def refund_already(refund: Refund) -> str:
    return escape(_refund_already(refund, QUOTE_LIMIT))


def refund_already_alert(refund: Refund) -> str:
    """For a button's alert, which takes plain text only, at most ALERT_LIMIT characters."""
    return shorten(_refund_already(refund, ALERT_REASON_LIMIT), ALERT_LIMIT)


def _refund_already(refund: Refund, reason_limit: int) -> str:
    """Plain text, with at most `reason_limit` of the reason."""
    by = f" by admin {refund.admin_id}" if refund.admin_id is not None else ""
    why = f", reason: {shorten(refund.reason, reason_limit)}" if refund.reason else ""
    return (
        f"Already refunded on {when(refund.refunded_at)} (source: {refund.source}{by}{why}). "
        "Nothing was done."
    )


def refund_done(
    payment: Payment,
    product: Product | None,
    *,
    elsewhere: bool,
    revoked: int,
    granted_instead: Payment | None,
) -> str:
    head = (
        f"Telegram says this charge was already refunded elsewhere; recorded the refund of "
        f"{_paid_for(payment, product)}."
        if elsewhere
        else f"Refunded {_paid_for(payment, product)}."
    )
    if granted_instead is not None:
        other = code(granted_instead.telegram_payment_charge_id)
        change = (
            f"The buyer keeps it: their other payment for it, {other}, had granted "
            "nothing (already owned) and grants it now, so do not refund that one. The buyer "
            "is told."
        )
    elif revoked:
        change = "The access it gave has ended and the buyer is told."
    else:
        change = "It had granted nothing, so the buyer's access is unchanged; the buyer is told."
    return f"{head}\n{change}\nCharge id: {code(payment.telegram_payment_charge_id)}"


def subscription_after_refund(after: SubscriptionAfterRefund, now: datetime) -> str:
    """To the admin, after the refund of a subscription's payment: what became of it."""
    sub = after.subscription
    status = status_of(sub, now)
    match after.outcome:
        case AfterRefund.CANCELED if status.state is SubscriptionState.ENDED:
            return "Its subscription is cancelled and has ended: Telegram will not renew it."
        case AfterRefund.CANCELED:
            return (
                "Its subscription is cancelled: Telegram will not renew it, and the buyer keeps "
                f"the later periods paid for, until {when(status.on)}."
            )
        case AfterRefund.FAILED:
            return (
                "Telegram did not cancel its subscription's renewal "
                f"(“{quote(after.error or 'no answer')}”): it renews on "
                f"{when(sub.subscription_expiration_date)}. Send the same /refund again to "
                "retry the cancellation; the refund is not repeated."
            )
    match status.state:
        case SubscriptionState.RENEWS:
            return (
                f"The subscription goes on: Telegram renews it on {when(status.on)} (the buyer "
                "can cancel it in /subscriptions)."
            )
        case SubscriptionState.CANCELED:
            return f"The subscription does not renew; it ends on {when(status.on)}."
        case _:
            return f"The subscription ended on {when(status.on)}."


def refund_failed(error: str) -> str:
    return f"The refund failed: Telegram said “{quote(error)}”. {_NOTHING_CHANGED} later."


def refund_outcome_unknown(error: str) -> str:
    return (
        f"Unknown whether Telegram refunded it: {quote(error)}. Nothing was recorded, and the "
        "buyer keeps access for now. If Telegram did refund, its refund notice or /reconcile "
        "records it and ends the access: wait a minute and send /reconcile before trying again."
    )


def refund_gave_up(error: str) -> str:
    gave_up = f"Telegram kept answering “{quote(error)}”, so I gave up."
    return f"{gave_up} {_NOTHING_CHANGED} in a few minutes."


def refund_not_recorded(payment: Payment) -> str:
    return (
        f"Telegram refunded {stars(payment.total_amount)} to user {payment.user_id}, but the "
        "database failed to record it. Telegram's refund notice or /reconcile will record it "
        "and end the access."
    )


def refund_question(payment: Payment, product: Product | None) -> str:
    return (
        f"Refund {_paid_for(payment, product)}, paid {when(payment.paid_at)}?\n"
        f"Charge id: {code(payment.telegram_payment_charge_id)}"
    )


def refund_button_label(payment: Payment, product: Product | None) -> str:
    """Plain text (buttons take no HTML)."""
    title = product_title(product, payment.product_id)
    return f"Refund {title}, {stars(payment.total_amount)}, {payment.paid_at:%Y-%m-%d}"


def refund_outcome(result: AdminRefundResult, catalog: Catalog, charge_id: str) -> str:
    """What the admin is told about their refund."""
    payment, status = result.payment, result.status
    product = catalog.get(payment.product_id) if payment else None
    match status:
        case AdminRefundStatus.REFUNDED | AdminRefundStatus.REFUNDED_ELSEWHERE if payment:
            return refund_done(
                payment,
                product,
                elsewhere=status is AdminRefundStatus.REFUNDED_ELSEWHERE,
                revoked=result.revoked,
                granted_instead=result.granted_instead,
            )
        case AdminRefundStatus.ALREADY_REFUNDED if result.refund:
            return refund_already(result.refund)
        case AdminRefundStatus.GAVE_UP:
            return refund_gave_up(result.error or "too many requests")
        case AdminRefundStatus.NOT_RECORDED if payment:
            return refund_not_recorded(payment)
        case AdminRefundStatus.FAILED:
            return refund_failed(result.error or "unknown error")
        case AdminRefundStatus.OUTCOME_UNKNOWN:
            return refund_outcome_unknown(result.error or "no answer")
        case _:
            return refund_unknown(charge_id)
