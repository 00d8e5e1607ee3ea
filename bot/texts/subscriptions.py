"""/subscriptions: where each subscription stands, and what its Cancel or Resume button did."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.catalog import Catalog
from bot.i18n import t
from bot.limits import ALERT_LIMIT, fit_message, shorten
from bot.outcomes import ChangeResult, ChangeStatus, SubscriptionState, status_of
from bot.texts.common import title_of, when
from storage.models import Subscription

__all__ = [
    "no_subscriptions",
    "renewal_button",
    "renewal_changed",
    "subscription_line",
    "subscriptions_list",
]


def subscription_line(subscription: Subscription, catalog: Catalog, now: datetime) -> str:
    """One subscription and where it stands: renews, cancelled, or ended, and when."""
    title = title_of(subscription.product_id, catalog)
    status = status_of(subscription, now)
    match status.state:
        case SubscriptionState.RENEWS:
            return t("subscriptions-line-renews", title=title, when=when(status.on))
        case SubscriptionState.CANCELED:
            return t("subscriptions-line-cancelled", title=title, when=when(status.on))
        case _:
            return t("subscriptions-line-ended", title=title, when=when(status.on))


def no_subscriptions() -> str:
    return t("subscriptions-none")


def subscriptions_list(
    subscriptions: Sequence[Subscription], catalog: Catalog, now: datetime
) -> str:
    """What /subscriptions shows; the buttons below it cancel or resume."""
    if not subscriptions:
        return no_subscriptions()
    head = t("subscriptions-head") + "\n"
    tail = "\n\n" + t("subscriptions-tail")
    return fit_message(head, [subscription_line(sub, catalog, now) for sub in subscriptions], tail)


def renewal_button(title: str, *, cancel: bool) -> str:
    """Plain text (buttons take no HTML)."""
    if cancel:
        return t("subscriptions-cancel-button", title=title)
    return t("subscriptions-resume-button", title=title)


def renewal_changed(result: ChangeResult) -> str:
    """For a button's alert: plain text, at most ALERT_LIMIT characters."""
    sub = result.subscription
    match result.status:
        case ChangeStatus.DONE if sub is not None and sub.is_canceled:
            text = t("subscriptions-cancelled-alert", when=when(sub.subscription_expiration_date))
        case ChangeStatus.DONE if sub is not None:
            text = t("subscriptions-resumed-alert", when=when(sub.subscription_expiration_date))
        case ChangeStatus.FAILED:
            error = shorten(result.error or t("subscriptions-no-answer"), 80)
            text = t("subscriptions-refused-alert", error=error)
        case ChangeStatus.UNCHANGED:
            text = t("subscriptions-unchanged-alert")
        case _:
            text = t("subscriptions-not-found-alert")
    return shorten(text, ALERT_LIMIT)
