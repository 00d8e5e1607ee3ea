"""/shop with a button per product, /buy <id>, and the invoice they send."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, LabeledPrice, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from loguru import logger

from bot import texts
from bot.catalog import Catalog, Product, ProductKind
from bot.services.offers import STARS, PayloadSigner
from entitlements import has_all
from storage import SessionFactory


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_shop, Command("shop"))
    router.message.register(cmd_buy, Command("buy"))
    router.callback_query.register(on_buy_button, BuyCallback.filter())
    return router


class BuyCallback(CallbackData, prefix="buy"):
    product_id: str


def shop_keyboard(catalog: Catalog) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for product in catalog:
        label = f"{product.title}: {texts.stars(product.price)}"
        builder.button(text=label, callback_data=BuyCallback(product_id=product.id))
    builder.adjust(1)
    return builder.as_markup()


async def cmd_shop(message: Message, catalog: Catalog) -> None:
    await message.answer(texts.shop(catalog), reply_markup=shop_keyboard(catalog))


async def cmd_buy(
    message: Message,
    command: CommandObject,
    bot: Bot,
    catalog: Catalog,
    signer: PayloadSigner,
    readers: SessionFactory,
) -> None:
    if not command.args:
        await message.answer(texts.buy_usage(catalog))
        return
    await offer_product(message, bot, command.args.strip(), catalog, signer, readers)


async def on_buy_button(
    query: CallbackQuery,
    callback_data: BuyCallback,
    bot: Bot,
    catalog: Catalog,
    signer: PayloadSigner,
    readers: SessionFactory,
) -> None:
    await query.answer()
    if query.message is None or not isinstance(query.message, Message):
        return
    # The buyer is whoever pressed the button, not the author of the shop message (the bot).
    buyer_message = query.message.model_copy(update={"from_user": query.from_user})
    await offer_product(buyer_message, bot, callback_data.product_id, catalog, signer, readers)


async def offer_product(
    message: Message,
    bot: Bot,
    product_id: str,
    catalog: Catalog,
    signer: PayloadSigner,
    readers: SessionFactory,
) -> None:
    """Send the invoice for `product_id`, or say why not."""
    product = catalog.get(product_id)
    if product is None:
        await bot.send_message(message.chat.id, texts.unknown_product(catalog, product_id))
        return
    if product not in catalog.for_sale:
        await bot.send_message(message.chat.id, texts.not_for_sale(product))
        return
    buyer = message.from_user
    if buyer is not None and product.kind is ProductKind.ONE_TIME:
        async with readers() as session:
            owned = await has_all(session, buyer.id, product.grants)
        if owned:
            await bot.send_message(message.chat.id, texts.already_owned(product))
            return
    await send_invoice(bot, message.chat.id, product, signer)


async def send_invoice(bot: Bot, chat_id: int, product: Product, signer: PayloadSigner) -> None:
    payload = signer.encode(product.id, product.price)
    await bot.send_invoice(
        chat_id=chat_id,
        title=product.title,
        description=product.description,
        payload=payload,
        currency=STARS,
        prices=[LabeledPrice(label=product.title, amount=product.price)],
    )
    logger.info("invoice sent chat={} product={} price={}", chat_id, product.id, product.price)
