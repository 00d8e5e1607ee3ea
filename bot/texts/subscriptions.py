"""/subscriptions: where each subscription stands, and what its Cancel or Resume button did."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.catalog import Catalog
from bot.limits import ALERT_LIMIT, fit_message, shorten
from bot.outcomes import ChangeResult, ChangeStatus, SubscriptionState, status_of
from bot.texts.common import title_of, when
from storage.models import Subscription

__all__ = [
    "NO_SUBSCRIPTIONS",
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
            state = f"renews on {when(status.on)}"
        case SubscriptionState.CANCELED:
            state = f"cancelled, ends on {when(status.on)}"
        case _:
            state = f"ended on {when(status.on)}"
    return f"• <b>{title}</b>: {state}"


NO_SUBSCRIPTIONS = "You have no subscriptions. See /shop for what you can subscribe to."


def subscriptions_list(
    subscriptions: Sequence[Subscription], catalog: Catalog, now: datetime
) -> str:
    """What /subscriptions shows; the buttons below it cancel or resume."""
    if not subscriptions:
        return NO_SUBSCRIPTIONS
    head = "Your subscriptions:\n"
    tail = (
        "\n\nCancelling stops the renewal; you keep what you paid for to the end of its "
        "month. A subscription you cancel inside Telegram shows here as renewing until its "
        "date, then as ended."
    )
    return fit_message(head, [subscription_line(sub, catalog, now) for sub in subscriptions], tail)


def renewal_button(title: str, *, cancel: bool) -> str:
    """Plain text (buttons take no HTML)."""
    return f"{'Cancel' if cancel else 'Resume'} {title}"


def renewal_changed(result: ChangeResult) -> str:
    """For a button's alert: plain text, at most ALERT_LIMIT characters."""
    sub = result.subscription
    match result.status:
        case ChangeStatus.DONE if sub is not None and sub.is_canceled:
            text = (
                "Cancelled: it will not renew. You keep it until "
                f"{when(sub.subscription_expiration_date)}."
            )
        case ChangeStatus.DONE if sub is not None:
            text = f"Resumed: it renews on {when(sub.subscription_expiration_date)}."
        case ChangeStatus.FAILED:
            text = (
                f"Telegram did not accept it ({shorten(result.error or 'no answer', 80)}). "
                "Nothing changed; please try again in a minute."
            )
        case ChangeStatus.UNCHANGED:
            text = "Nothing to change: see the list as it is now."
        case _:
            text = "There is no such subscription of yours."
    return shorten(text, ALERT_LIMIT)
