"""Which Telegram updates are which, where several parts of the bot must agree.

- A pre-checkout query skips the inbox's queue: Telegram cancels the payment unless it is
  answered within 10 s, so it is handed to its handler as soon as it arrives.
- A payment update (a message with `successful_payment` or `refunded_payment`) means money has
  moved: it is never dropped by the flood limit, its handler's failure is retried rather than
  apologised for, and retention keeps its inbox row with the accounting record.
- A join request or a member change in a managed chat is never dropped by the flood limit
  (removals come in bursts, all from the bot), and a join request's failure is retried.

The same rule is asked of an update as Telegram sent it (JSON, in the inbox), of an aiogram
object (in middlewares and the error handler), and in SQL (retention): all three are here, on
one list of fields. Nothing here imports aiogram: an object is read by its attribute names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from storage.models import InboxUpdate

PRE_CHECKOUT = "pre_checkout_query"
# The Message fields that make an update a payment.
PAYMENT_MESSAGE_FIELDS = ("successful_payment", "refunded_payment")
JOIN_REQUEST = "chat_join_request"
MEMBER_UPDATES = (JOIN_REQUEST, "chat_member")


def kind_of(raw: Mapping[str, Any]) -> str:
    """The one optional field that says what an update is ("message", ...)."""
    return next((key for key in raw if key != "update_id"), "unknown")


def chat_of(raw: Mapping[str, Any]) -> int | None:
    """The chat whose updates must be handled in order; None when there is none."""
    content = raw.get(kind_of(raw))
    if not isinstance(content, dict):
        return None
    for holder in (content, content.get("message")):
        if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
            return int(holder["chat"]["id"])
    for field in ("from", "user"):
        if isinstance(content.get(field), dict):
            return int(content[field]["id"])
    return None


def skips_queue(raw: Mapping[str, Any]) -> bool:
    """A pre-checkout query: answered as soon as it arrives, stored only for the record."""
    return PRE_CHECKOUT in raw


def is_payment(raw: Mapping[str, Any]) -> bool:
    """An update, as Telegram sent it, that reports a payment or a refund."""
    message = raw.get("message")
    return isinstance(message, dict) and any(field in message for field in PAYMENT_MESSAGE_FIELDS)


def is_payment_update(update: Any) -> bool:
    """The same for an aiogram `Update`."""
    message = getattr(update, "message", None)
    return message is not None and any(getattr(message, f) for f in PAYMENT_MESSAGE_FIELDS)


def never_throttled(update: Any) -> bool:
    """An aiogram `Update` the flood limit always lets through: a payment, a refund, a
    pre-checkout query (money has moved, or Telegram waits for an answer), a join request or a
    member change."""
    if any(getattr(update, kind, None) is not None for kind in MEMBER_UPDATES):
        return True
    return getattr(update, PRE_CHECKOUT, None) is not None or is_payment_update(update)


def retried_on_failure(update: Any) -> bool:
    """An aiogram `Update` whose failed handler is given it again rather than apologised for:
    a payment, or a join request (Telegram keeps it waiting until the bot answers)."""
    return is_payment_update(update) or getattr(update, JOIN_REQUEST, None) is not None


def is_payment_row() -> ColumnElement[bool]:
    """In SQL, an inbox row whose update is a payment. Its JSON has the field as a key of its
    message, e.g. "successful_payment": {...}; a user who quotes that in a message has it
    escaped (\\"), so it does not match."""
    raw = col(InboxUpdate.raw)
    return or_(*(raw.contains(f'"{field}":', autoescape=True) for field in PAYMENT_MESSAGE_FIELDS))
