"""/shop with a button per product, /buy <id>, and the invoice (or, for a subscription, the
invoice link) they send."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, LabeledPrice, Message
from loguru import logger

from bot import texts
from bot.catalog import SUBSCRIPTION_PERIOD, Catalog, Product, ProductKind
from bot.keyboards.shop import BuyButton, shop_keyboard, subscribe_keyboard
from bot.services.offers import STARS, PayloadSigner
from bot.services.ownership import OwnershipLookup


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_shop, Command("shop"))
    router.message.register(cmd_buy, Command("buy"))
    router.callback_query.register(on_buy_button, BuyButton.filter())
    return router


async def cmd_shop(message: Message, catalog: Catalog) -> None:
    await message.answer(texts.shop(catalog), reply_markup=shop_keyboard(catalog))


async def cmd_buy(
    message: Message,
    command: CommandObject,
    bot: Bot,
    catalog: Catalog,
    signer: PayloadSigner,
    ownership: OwnershipLookup,
) -> None:
    if not command.args or message.from_user is None:
        await message.answer(texts.buy_usage(catalog))
        return
    buyer = message.from_user.id
    await offer_product(
        bot, message.chat.id, buyer, command.args.strip(), catalog, signer, ownership
    )


async def on_buy_button(
    query: CallbackQuery,
    callback_data: BuyButton,
    bot: Bot,
    catalog: Catalog,
    signer: PayloadSigner,
    ownership: OwnershipLookup,
) -> None:
    await query.answer()
    if query.message is None:
        return
    # The buyer is whoever pressed the button, not the author of the shop message (the bot).
    chat_id, buyer = query.message.chat.id, query.from_user.id
    await offer_product(bot, chat_id, buyer, callback_data.product_id, catalog, signer, ownership)


async def offer_product(
    bot: Bot,
    chat_id: int,
    buyer_id: int,
    product_id: str,
    catalog: Catalog,
    signer: PayloadSigner,
    ownership: OwnershipLookup,
) -> None:
    """Send `buyer_id` the invoice for `product_id` in `chat_id`, or say why not."""
    product = catalog.get(product_id)
    if product is None:
        await bot.send_message(chat_id, texts.unknown_product(catalog, product_id))
        return
    if await ownership.already_owns(buyer_id, product):
        await bot.send_message(chat_id, texts.already_owned(product))
        return
    if product.kind is ProductKind.SUBSCRIPTION:
        await send_subscription_link(bot, chat_id, product, signer)
    else:
        await send_invoice(bot, chat_id, product, signer)


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


async def send_subscription_link(
    bot: Bot, chat_id: int, product: Product, signer: PayloadSigner
) -> None:
    """Only an invoice link can carry a subscription period (sendInvoice cannot): the buyer
    gets it as a button. Telegram then charges every period until the subscription is
    cancelled, each renewal repeating this link's payload."""
    link = await bot.create_invoice_link(
        title=product.title,
        description=product.description,
        payload=signer.encode(product.id, product.price),
        currency=STARS,
        prices=[LabeledPrice(label=product.title, amount=product.price)],
        subscription_period=int(SUBSCRIPTION_PERIOD.total_seconds()),
    )
    await bot.send_message(
        chat_id, texts.subscription_offer(product), reply_markup=subscribe_keyboard(product, link)
    )
    logger.info(
        "invoice link sent chat={} product={} price={}", chat_id, product.id, product.price
    )
