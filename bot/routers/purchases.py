"""/mypurchases: what the buyer owns now, their subscriptions, and their receipts."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardMarkup, Message

from bot import texts
from bot.catalog import Catalog
from bot.filters import InPrivateChat
from bot.keyboards.access import join_buttons
from bot.keyboards.files import resend_buttons
from bot.services.chat_setup import ManagedChats
from bot.services.purchases import Purchases


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(InPrivateChat())  # a buyer's own data; in a group: private_only
    router.message.register(cmd_mypurchases, Command("mypurchases"))
    return router


async def cmd_mypurchases(
    message: Message, purchases: Purchases, catalog: Catalog, chats: ManagedChats
) -> None:
    if message.from_user is None:
        return
    bought = await purchases.of(message.from_user.id)
    text = texts.my_purchases(
        bought.active,
        bought.subscriptions,
        bought.payments,
        bought.refunds,
        catalog,
        bought.as_of,
        codes=bought.codes,
    )
    # A Join button per private chat a held key unlocks (a buyer who left can come back), and
    # a "Send my files again" per held key with files.
    links = await chats.links_for_keys(a.key for a in bought.active)
    buttons = join_buttons(links) + resend_buttons((a.key for a in bought.active), catalog)
    await message.answer(
        text, reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None
    )
