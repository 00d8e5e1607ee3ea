"""Offering a product: the invoice, or for a subscription the invoice link, or why not."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import LabeledPrice
from loguru import logger

from bot import texts
from bot.catalog import SUBSCRIPTION_PERIOD, Catalog, Product, ProductKind
from bot.keyboards.shop import subscribe_keyboard
from bot.services.offers import STARS, PayloadSigner
from bot.services.ownership import OwnershipLookup
from bot.services.stock import StockKeeper


class Shop:
    """Sends a buyer what lets them pay for a product: from /buy, a Buy button or a deep link."""

    def __init__(
        self,
        bot: Bot,
        catalog: Catalog,
        signer: PayloadSigner,
        ownership: OwnershipLookup,
        stock: StockKeeper | None = None,
    ) -> None:
        self.bot = bot
        self.catalog = catalog
        self.signer = signer
        self.ownership = ownership
        self.stock = stock  # no invoice for a product sold out (pre-checkout refuses it anyway)

    async def offer(self, chat_id: int, buyer_id: int, product_id: str) -> None:
        """Send `buyer_id` the invoice for `product_id` in `chat_id`, or say why not."""
        product = self.catalog.get(product_id)
        if product is None:
            await self.bot.send_message(chat_id, texts.unknown_product(self.catalog, product_id))
            return
        if await self.ownership.already_owns(buyer_id, product):
            await self.bot.send_message(chat_id, texts.already_owned(product))
            return
        if self.stock is not None and product.id in await self.stock.sold_out_once_counted():
            await self.bot.send_message(chat_id, texts.sold_out_now(product))
            return
        if product.kind is ProductKind.SUBSCRIPTION:
            await self._send_subscription_link(chat_id, product)
        else:
            await self._send_invoice(chat_id, product)

    async def _send_invoice(self, chat_id: int, product: Product) -> None:
        await self.bot.send_invoice(
            chat_id=chat_id,
            title=product.title,
            description=product.description,
            payload=self.signer.encode(product.id, product.price),
            currency=STARS,
            prices=[LabeledPrice(label=product.title, amount=product.price)],
        )
        logger.info("invoice sent chat={} product={} price={}", chat_id, product.id, product.price)

    async def _send_subscription_link(self, chat_id: int, product: Product) -> None:
        """Only an invoice link can carry a subscription period (sendInvoice cannot): the buyer
        gets it as a button. Telegram then charges every period until the subscription is
        cancelled, each renewal repeating this link's payload."""
        link = await self.bot.create_invoice_link(
            title=product.title,
            description=product.description,
            payload=self.signer.encode(product.id, product.price),
            currency=STARS,
            prices=[LabeledPrice(label=product.title, amount=product.price)],
            subscription_period=int(SUBSCRIPTION_PERIOD.total_seconds()),
        )
        await self.bot.send_message(
            chat_id,
            texts.subscription_offer(product),
            reply_markup=subscribe_keyboard(product, link),
        )
        logger.info(
            "invoice link sent chat={} product={} price={}", chat_id, product.id, product.price
        )
