"""/shop with a button per product, /buy <id>, and the invoice (or, for a subscription, the
invoice link) they send (`bot.services.shop`)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.catalog import Catalog
from bot.keyboards.shop import BuyButton, shop_keyboard
from bot.services.shop import Shop
from bot.services.stock import StockKeeper


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_shop, Command("shop"))
    router.message.register(cmd_buy, Command("buy"))
    router.callback_query.register(on_buy_button, BuyButton.filter())
    return router


async def cmd_shop(message: Message, catalog: Catalog, stock: StockKeeper) -> None:
    sold_out = await stock.sold_out_once_counted()
    await message.answer(
        texts.shop(catalog, sold_out), reply_markup=shop_keyboard(catalog, sold_out)
    )


async def cmd_buy(message: Message, command: CommandObject, shop: Shop, catalog: Catalog) -> None:
    if not command.args or message.from_user is None:
        await message.answer(texts.buy_usage(catalog))
        return
    await shop.offer(message.chat.id, message.from_user.id, command.args.strip())


async def on_buy_button(query: CallbackQuery, callback_data: BuyButton, shop: Shop) -> None:
    await query.answer()
    if query.message is None:
        return
    # The buyer is whoever pressed the button, not the author of the shop message (the bot).
    await shop.offer(query.message.chat.id, query.from_user.id, callback_data.product_id)
