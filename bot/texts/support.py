"""/paysupport: what the buyer is asked and told, and the request every admin gets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.catalog import Catalog
from bot.limits import MESSAGE_LIMIT, fit_lines, shorten, utf16_len, visible_length
from bot.texts.common import payment_line, refund_mark, title_of
from storage.models import Payment, Refund

__all__ = [
    "SUPPORT_CANCELLED",
    "SUPPORT_DESCRIBE",
    "SUPPORT_DESCRIPTION_KEPT",
    "SUPPORT_DESCRIPTION_LIMIT",
    "SUPPORT_NOTHING_TO_CANCEL",
    "SUPPORT_SENT",
    "SUPPORT_UNAVAILABLE",
    "SUPPORT_WORDS_PLEASE",
    "support_added",
    "support_already_open",
    "support_prompt",
    "support_request",
]


SUPPORT_DESCRIBE = "Describe the problem in one message now, or send /cancel."
SUPPORT_SENT = (
    "Thank you. Your request went to a person, who will look into it and contact you here."
)
SUPPORT_UNAVAILABLE = "Sorry, nobody can take support requests right now. Please try again later."
SUPPORT_CANCELLED = "Cancelled. Send /paysupport whenever you need help with a payment."
SUPPORT_NOTHING_TO_CANCEL = "There is nothing to cancel."
SUPPORT_WORDS_PLEASE = "Please describe the problem in words, in one message, or send /cancel."
SUPPORT_DESCRIPTION_LIMIT = 2000  # the most of the buyer's description an admin is shown
SUPPORT_DESCRIPTION_KEPT = 1000  # ...and the least, whatever the list of payments needs


def support_prompt(intro: str) -> str:
    tail = f"\n\n{SUPPORT_DESCRIBE}"
    return escape(shorten(intro, MESSAGE_LIMIT - len(tail))) + tail


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
    handle = f" @{escape(username)}" if username else ""
    lines = []
    for p in payments:
        refund = refunds.get(p.telegram_payment_charge_id)
        status = refund_mark(refund) if refund else ", not refunded"
        lines.append(payment_line(p, title_of(p.product_id, catalog), status))
    head = (
        f'📩 Payment support request from <a href="tg://user?id={user_id}">'
        f"{escape(full_name)}</a>{handle}, user id <code>{user_id}</code>:\n\n"
    )
    room = MESSAGE_LIMIT - visible_length(head) - len("\n\n")
    listed = "No payments."
    if lines:
        # The payments may not crowd out the start of the description (SUPPORT_DESCRIPTION_KEPT).
        kept = min(utf16_len(description), SUPPORT_DESCRIPTION_KEPT)
        listed = "Recent payments:\n"
        listed += fit_lines(lines, room - len(listed) - kept)
    # The description gets the room the payments leave, up to SUPPORT_DESCRIPTION_LIMIT.
    room -= visible_length(listed)
    description = shorten(description, min(SUPPORT_DESCRIPTION_LIMIT, room))
    return f"{head}{escape(description)}\n\n{listed}"


def support_already_open(opened_at: datetime) -> str:
    add = "To add something to it, send it in one message now, or /cancel."
    return f"We have {_your_request(opened_at)}. {add}"


def support_added(opened_at: datetime) -> str:
    return f"Added to {_your_request(opened_at)}."


def _your_request(opened_at: datetime) -> str:
    return f"your request from {opened_at:%H:%M} UTC; a person will answer here"
