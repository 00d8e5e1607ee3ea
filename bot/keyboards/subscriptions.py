"""The Cancel and Resume buttons of subscriptions: under /subscriptions, and a reminder's."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.catalog import Catalog, Product
from bot.outcomes import RenewalChange, SubscriptionState, status_of
from storage import Subscription, utcnow


class SubscriptionButton(CallbackData, prefix="sub"):
    """Cancels or resumes a subscription's renewal: under /subscriptions, and a reminder."""

    change: RenewalChange
    subscription_id: int


def renewal_keyboard(
    subscriptions: Sequence[Subscription], catalog: Catalog
) -> InlineKeyboardMarkup | None:
    """Cancel for each subscription that renews, Resume for each cancelled one still running."""
    builder = InlineKeyboardBuilder()
    now = utcnow()
    for subscription in subscriptions:
        assert subscription.id is not None
        state = status_of(subscription, now).state
        if state is SubscriptionState.ENDED:
            continue
        cancel = state is SubscriptionState.RENEWS
        product = catalog.get(subscription.product_id)
        title = product.title if product else subscription.product_id
        builder.button(
            text=texts.renewal_button(title, cancel=cancel),
            callback_data=SubscriptionButton(
                change=RenewalChange.CANCEL if cancel else RenewalChange.RESUME,
                subscription_id=subscription.id,
            ),
        )
    builder.adjust(1)
    return builder.as_markup() if builder.buttons else None


def resume_keyboard(product: Product, subscription_id: int) -> InlineKeyboardMarkup:
    """Under the reminder that a cancelled subscription ends."""
    button = InlineKeyboardButton(
        text=texts.renewal_button(product.title, cancel=False),
        callback_data=SubscriptionButton(
            change=RenewalChange.RESUME, subscription_id=subscription_id
        ).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
