"""/paysupport: what the buyer is asked and told, and the request every admin gets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.catalog import Catalog
from bot.i18n import t
from bot.limits import MESSAGE_LIMIT, fit_lines, shorten, utf16_len, visible_length
from bot.texts.common import payment_line, refund_mark, title_of, when
from storage.models import Payment, Refund

__all__ = [
    "SUPPORT_DESCRIPTION_KEPT",
    "SUPPORT_DESCRIPTION_LIMIT",
    "support_added",
    "support_already_open",
    "support_cancelled",
    "support_describe",
    "support_nothing_to_cancel",
    "support_prompt",
    "support_request",
    "support_sent",
    "support_unavailable",
    "support_words_please",
]

SUPPORT_DESCRIPTION_LIMIT = 2000  # the most of the buyer's description an admin is shown
SUPPORT_DESCRIPTION_KEPT = 1000  # ...and the least, whatever the list of payments needs


def support_describe() -> str:
    return t("support-describe")


def support_sent() -> str:
    return t("support-sent")


def support_unavailable() -> str:
    return t("support-unavailable")


def support_cancelled() -> str:
    return t("support-cancelled")


def support_nothing_to_cancel() -> str:
    """Also a button's alert: plain text, at most ALERT_LIMIT characters."""
    return t("support-nothing-to-cancel-alert")


def support_words_please() -> str:
    return t("support-words-please")


def support_prompt(intro: str) -> str:
    tail = "\n\n" + support_describe()
    return escape(shorten(intro, MESSAGE_LIMIT - utf16_len(tail))) + tail


def support_request(
    user_id: int,
    username: str | None,
    full_name: str,
    description: str,
    payments: Sequence[Payment],
    refunds: dict[str, Refund],
    catalog: Catalog,
) -> str:
    """What an admin gets: who asks, what they wrote, and their recent payments."""
    handle = t("support-username", username=escape(username)) if username else ""
    lines = []
    for p in payments:
        refund = refunds.get(p.telegram_payment_charge_id)
        status = refund_mark(refund) if refund else t("support-not-refunded")
        lines.append(payment_line(p, title_of(p.product_id, catalog), status))
    head = t("support-request", user_id=str(user_id), name=escape(full_name), handle=handle)
    head += "\n\n"
    room = MESSAGE_LIMIT - visible_length(head) - len("\n\n")
    listed = t("support-no-payments")
    if lines:
        # The payments may not crowd out the start of the description (SUPPORT_DESCRIPTION_KEPT).
        kept = min(utf16_len(description), SUPPORT_DESCRIPTION_KEPT)
        listed = t("support-recent-payments") + "\n"
        listed += fit_lines(lines, room - visible_length(listed) - kept)
    # The description gets the room the payments leave, up to SUPPORT_DESCRIPTION_LIMIT.
    room -= visible_length(listed)
    description = shorten(description, min(SUPPORT_DESCRIPTION_LIMIT, room))
    return f"{head}{escape(description)}\n\n{listed}"


def support_already_open(opened_at: datetime) -> str:
    return t("support-already-open", when=when(opened_at))


def support_added(opened_at: datetime) -> str:
    return t("support-added", when=when(opened_at))
