"""What kind of update this is, where more than one part of the bot must agree."""

from __future__ import annotations

from aiogram.types import Update

from storage import PAYMENT_MESSAGE_FIELDS


def is_payment_update(update: Update) -> bool:
    """A successful_payment or refunded_payment: its loss would lose money or access."""
    message = update.message
    return message is not None and any(getattr(message, f) for f in PAYMENT_MESSAGE_FIELDS)
