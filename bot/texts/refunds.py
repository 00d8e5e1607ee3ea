"""Refunds: an admin's /refund and Refund button, what became of a refunded subscription, and
the buyer's notice."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.catalog import Catalog, Product
from bot.i18n import t
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
    "confirm_refund_button",
    "payment_gone",
    "refund_already",
    "refund_already_alert",
    "refund_button_label",
    "refund_cancelled",
    "refund_done",
    "refund_failed",
    "refund_gave_up",
    "refund_not_recorded",
    "refund_notice",
    "refund_outcome",
    "refund_outcome_unknown",
    "refund_question",
    "refund_unknown",
    "refund_usage",
    "refunding",
    "subscription_after_refund",
]

ALERT_REASON_LIMIT = 60  # the most of a refund's reason an alert shows


def refund_usage() -> str:
    return t("refunds-usage")


def refund_cancelled() -> str:
    return t("refunds-cancelled")


def payment_gone() -> str:
    """Plain text: a button's alert, or the message that replaces the confirmation."""
    return t("refunds-payment-gone-alert")


def confirm_refund_button() -> str:
    return t("refunds-confirm-button")


def refunding() -> str:
    """The alert while Telegram is asked, after Confirm refund."""
    return t("refunds-refunding-alert")


def refund_notice(
    payment: Payment, product: Product | None, *, revoked: int, granted_instead: Payment | None
) -> str:
    """To the buyer: what the refund changed for what they own."""
    title = escape(product.title) if product else t("refunds-notice-your-purchase")
    amount, charge = stars(payment.total_amount), code(payment.telegram_payment_charge_id)
    if granted_instead is not None:
        other = code(granted_instead.telegram_payment_charge_id)
        return t("refunds-notice-kept", amount=amount, title=title, other=other, charge=charge)
    if revoked:
        return t("refunds-notice-ended", amount=amount, title=title, charge=charge)
    return t("refunds-notice-nothing-held", amount=amount, title=title, charge=charge)


def refund_unknown(charge_id: str) -> str:
    return t("refunds-unknown", charge=quote(charge_id))


def refund_already(refund: Refund) -> str:
    return escape(_refund_already(refund, QUOTE_LIMIT))


def refund_already_alert(refund: Refund) -> str:
    """For a button's alert, which takes plain text only, at most ALERT_LIMIT characters."""
    return shorten(_refund_already(refund, ALERT_REASON_LIMIT), ALERT_LIMIT)


def _refund_already(refund: Refund, reason_limit: int) -> str:
    """Plain text, with at most `reason_limit` of the reason."""
    moment, source = when(refund.refunded_at), refund.source
    admin = str(refund.admin_id) if refund.admin_id is not None else None
    reason = shorten(refund.reason, reason_limit) if refund.reason else None
    match admin, reason:
        case None, None:
            return t("refunds-already", when=moment, source=source)
        case str(), None:
            return t("refunds-already-by-admin", when=moment, source=source, admin=admin)
        case None, str():
            return t("refunds-already-with-reason", when=moment, source=source, reason=reason)
        case _:
            return t(
                "refunds-already-by-admin-with-reason",
                when=moment,
                source=source,
                admin=admin,
                reason=reason,
            )


def refund_done(
    payment: Payment,
    product: Product | None,
    *,
    elsewhere: bool,
    revoked: int,
    granted_instead: Payment | None,
) -> str:
    amount, title, user = _paid_for(payment, product)
    if elsewhere:
        head = t("refunds-done-elsewhere", amount=amount, title=title, user=user)
    else:
        head = t("refunds-done", amount=amount, title=title, user=user)
    if granted_instead is not None:
        change = t("refunds-done-kept", other=code(granted_instead.telegram_payment_charge_id))
    elif revoked:
        change = t("refunds-done-ended")
    else:
        change = t("refunds-done-nothing-held")
    charge = t("refunds-charge", charge=code(payment.telegram_payment_charge_id))
    return f"{head}\n{change}\n{charge}"


def _paid_for(payment: Payment, product: Product | None) -> tuple[str, str, str]:
    """What names a payment to an admin: its amount, its product's title and its buyer."""
    title = escape(product_title(product, payment.product_id))
    return stars(payment.total_amount), title, str(payment.user_id)


def subscription_after_refund(after: SubscriptionAfterRefund, now: datetime) -> str:
    """To the admin, after the refund of a subscription's payment: what became of it."""
    sub = after.subscription
    status = status_of(sub, now)
    match after.outcome:
        case AfterRefund.CANCELED if status.state is SubscriptionState.ENDED:
            return t("refunds-subscription-cancelled-ended")
        case AfterRefund.CANCELED:
            return t("refunds-subscription-cancelled", when=when(status.on))
        case AfterRefund.FAILED:
            error = quote(after.error or t("refunds-error-no-answer"))
            renews = when(sub.subscription_expiration_date)
            return t("refunds-subscription-cancel-failed", error=error, when=renews)
    match status.state:
        case SubscriptionState.RENEWS:
            return t("refunds-subscription-renews", when=when(status.on))
        case SubscriptionState.CANCELED:
            return t("refunds-subscription-not-renewing", when=when(status.on))
        case _:
            return t("refunds-subscription-ended", when=when(status.on))


def refund_failed(error: str) -> str:
    return t("refunds-failed", error=quote(error))


def refund_outcome_unknown(error: str) -> str:
    return t("refunds-outcome-unknown", error=quote(error))


def refund_gave_up(error: str) -> str:
    return t("refunds-gave-up", error=quote(error))


def refund_not_recorded(payment: Payment) -> str:
    return t("refunds-not-recorded", amount=stars(payment.total_amount), user=str(payment.user_id))


def refund_question(payment: Payment, product: Product | None) -> str:
    amount, title, user = _paid_for(payment, product)
    return t(
        "refunds-question",
        amount=amount,
        title=title,
        user=user,
        when=when(payment.paid_at),
        charge=code(payment.telegram_payment_charge_id),
    )


def refund_button_label(payment: Payment, product: Product | None) -> str:
    """Plain text (buttons take no HTML)."""
    return t(
        "refunds-button",
        title=product_title(product, payment.product_id),
        amount=stars(payment.total_amount),
        paid=t("refunds-paid-on", day=payment.paid_at),
    )


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
            return refund_gave_up(result.error or t("refunds-error-too-many-requests"))
        case AdminRefundStatus.NOT_RECORDED if payment:
            return refund_not_recorded(payment)
        case AdminRefundStatus.FAILED:
            return refund_failed(result.error or t("refunds-error-unknown"))
        case AdminRefundStatus.OUTCOME_UNKNOWN:
            return refund_outcome_unknown(result.error or t("refunds-error-no-answer"))
        case _:
            return refund_unknown(charge_id)
