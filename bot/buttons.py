"""The callback data of buttons that more than one module makes or answers.

Buttons name rows by id: a Stars charge id alone can outgrow callback_data's 64 bytes.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.outcomes import RenewalChange


class BuyButton(CallbackData, prefix="buy"):
    """Offers the product, as /buy does: under /shop, and under a reminder."""

    product_id: str


class SubscriptionButton(CallbackData, prefix="sub"):
    """Cancels or resumes a subscription's renewal: under /subscriptions, and a reminder."""

    change: RenewalChange
    subscription_id: int
