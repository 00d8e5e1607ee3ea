"""Admin reports on the shop, which change nothing: /stats, /payments [n], /user <id or
@username>, /balance and /export. Behind the admin gate (`bot.routers.admin`)."""

from __future__ import annotations

import io
from datetime import timedelta

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from loguru import logger

from bot import texts
from bot.catalog import Catalog
from bot.services.buyers import Buyers, parse_user_ref
from bot.services.exports import CHAT_EXPORT_DAYS, Exports
from bot.services.sales import Sales, parse_payments_count
from bot.telegram.failures import CALL_ERRORS, describe_failure
from storage import utcnow

# What a bot may upload (sendDocument).
DOCUMENT_LIMIT_BYTES = 50 * 1024 * 1024


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_stats, Command("stats"))
    router.message.register(cmd_payments, Command("payments"))
    router.message.register(cmd_user, Command("user"))
    router.message.register(cmd_balance, Command("balance"))
    router.message.register(cmd_export, Command("export"))
    return router


async def cmd_stats(message: Message, sales: Sales) -> None:
    await message.answer(texts.sales_report(await sales.figures()))


async def cmd_payments(
    message: Message, command: CommandObject, sales: Sales, catalog: Catalog
) -> None:
    count = parse_payments_count(command.args)
    if count is None:
        await message.answer(texts.payments_usage())
        return
    await message.answer(texts.payments_list(await sales.newest_payments(count), catalog))


async def cmd_user(
    message: Message, command: CommandObject, buyers: Buyers, catalog: Catalog
) -> None:
    ref = parse_user_ref(command.args)
    if ref is None:
        await message.answer(texts.user_usage())
        return
    user_id = await buyers.find_user_id(ref)
    if user_id is None:
        await message.answer(texts.user_not_found(str(ref)))
        return
    await message.answer(texts.buyer_report(await buyers.report(user_id), catalog))


async def cmd_balance(message: Message, bot: Bot) -> None:
    try:
        balance = await bot.get_my_star_balance()
    except CALL_ERRORS as exc:
        logger.warning("getMyStarBalance failed: {}", describe_failure(exc))
        # Telegram's description; any other failure by the name of its kind only.
        error = describe_failure(exc) if isinstance(exc, TelegramAPIError) else type(exc).__name__
        await message.answer(texts.balance_failed(error))
        return
    await message.answer(texts.star_balance(balance.amount, balance.nanostar_amount))


async def cmd_export(message: Message, exports: Exports) -> None:
    until = utcnow()
    since = until - timedelta(days=CHAT_EXPORT_DAYS)
    out = io.StringIO()
    rows = await exports.write_csv(out, since, until)
    if not rows:
        await message.answer(texts.export_empty(since))
        return
    data = out.getvalue().encode()
    if len(data) > DOCUMENT_LIMIT_BYTES:
        await message.answer(texts.export_too_large(len(data) / 1024 / 1024))
        return
    name = f"payments-{since:%Y-%m-%d}-to-{until:%Y-%m-%d}.csv"
    await message.answer_document(
        BufferedInputFile(data, filename=name), caption=texts.export_caption(rows, since, until)
    )
