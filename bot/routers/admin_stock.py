"""/stock: what is left of each product with codes or a stock limit. Behind the admin gate
(`bot.routers.admin`)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import texts
from bot.services.stock import StockKeeper


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_stock, Command("stock"))
    return router


async def cmd_stock(message: Message, stock: StockKeeper) -> None:
    await message.answer(texts.stock_report(await stock.report()))
