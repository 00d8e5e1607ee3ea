"""/start (with buy_<id> deep links), /help and /terms."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from bot import texts
from bot.catalog import Catalog
from bot.config import Settings
from bot.i18n import current_language
from bot.services.shop import Shop


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        cmd_start_buy, CommandStart(deep_link=True, magic=F.args.startswith("buy_"))
    )
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_terms, Command("terms"))
    return router


async def cmd_start_buy(message: Message, command: CommandObject, shop: Shop) -> None:
    product_id = (command.args or "").removeprefix("buy_")
    buyer = message.from_user.id if message.from_user else message.chat.id
    await shop.offer(message.chat.id, buyer, product_id)


async def cmd_start(message: Message, catalog: Catalog) -> None:
    await message.answer(texts.welcome(catalog))


async def cmd_help(message: Message) -> None:
    await message.answer(texts.command_list())


async def cmd_terms(message: Message, settings: Settings) -> None:
    terms = settings.text_in("terms_text", current_language()) or texts.default_terms_text()
    await message.answer(terms, parse_mode=None)
