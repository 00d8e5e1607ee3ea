"""/subscriptions: the buyer's subscriptions with their state, and a Cancel or Resume button
each, which asks Telegram (editUserStarSubscription) and shows the list as it then stands."""

from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.catalog import Catalog
from bot.filters import InPrivateChat
from bot.keyboards.subscriptions import SubscriptionButton, renewal_keyboard
from bot.outcomes import ChangeStatus
from bot.services.renewals import Renewals
from storage import utcnow

NOT_MODIFIED = "message is not modified"


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(InPrivateChat())  # a buyer's own data; in a group: private_only
    router.callback_query.filter(InPrivateChat())
    router.message.register(cmd_subscriptions, Command("subscriptions"))
    router.callback_query.register(on_renewal_button, SubscriptionButton.filter())
    return router


async def cmd_subscriptions(message: Message, renewals: Renewals, catalog: Catalog) -> None:
    if message.from_user is None:
        return
    subscriptions = await renewals.subscriptions_of(message.from_user.id)
    await message.answer(
        texts.subscriptions_list(subscriptions, catalog, utcnow()),
        reply_markup=renewal_keyboard(subscriptions, catalog),
    )


async def on_renewal_button(
    query: CallbackQuery,
    callback_data: SubscriptionButton,
    renewals: Renewals,
    catalog: Catalog,
) -> None:
    result = await renewals.change(
        user_id=query.from_user.id,
        subscription_id=callback_data.subscription_id,
        change=callback_data.change,
    )
    await query.answer(texts.renewal_changed(result), show_alert=True)
    changed = result.status in (ChangeStatus.DONE, ChangeStatus.UNCHANGED)
    if not changed or not isinstance(query.message, Message):
        return  # a failure leaves the message as it was, to press again
    # The list as it stands now, in place of the one pressed (a reminder's button, too).
    subscriptions = await renewals.subscriptions_of(query.from_user.id)
    try:
        await query.message.edit_text(
            texts.subscriptions_list(subscriptions, catalog, utcnow()),
            reply_markup=renewal_keyboard(subscriptions, catalog),
        )
    except TelegramBadRequest as exc:
        if NOT_MODIFIED not in exc.message:  # a second press shows what the first did
            raise
