"""Admin commands for running the shop: /stats, /payments, /user, /grant, /revoke, /balance and
/export.

The router carries `IsAdmin`; `bot.routers.admin` includes it before its refusal handlers, so
anyone else who sends one of these (they are all in `texts.ADMIN_COMMANDS`) is told "not
allowed" once.
"""

from __future__ import annotations

import io
from datetime import timedelta

from aiogram import Bot, Router
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from loguru import logger

from bot import texts
from bot.catalog import Catalog
from bot.filters import IsAdmin
from bot.outcomes import GrantStatus
from bot.services.buyers import buyer_report, find_user_id, parse_user_ref
from bot.services.exports import CHAT_EXPORT_DAYS, write_csv
from bot.services.goodwill import (
    grant_goodwill,
    parse_grant_args,
    parse_revoke_args,
    revoke_goodwill,
)
from bot.services.sales import newest_payments, parse_payments_count, sales_figures
from storage import SessionFactory, Writer, utcnow

# What a bot may upload (sendDocument).
DOCUMENT_LIMIT_BYTES = 50 * 1024 * 1024


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(IsAdmin())
    router.message.register(cmd_stats, Command("stats"))
    router.message.register(cmd_payments, Command("payments"))
    router.message.register(cmd_user, Command("user"))
    router.message.register(cmd_grant, Command("grant"))
    router.message.register(cmd_revoke, Command("revoke"))
    router.message.register(cmd_balance, Command("balance"))
    router.message.register(cmd_export, Command("export"))
    return router


async def cmd_stats(message: Message, readers: SessionFactory, catalog: Catalog) -> None:
    await message.answer(texts.sales_report(await sales_figures(readers, catalog)))


async def cmd_payments(
    message: Message, command: CommandObject, readers: SessionFactory, catalog: Catalog
) -> None:
    count = parse_payments_count(command.args)
    if count is None:
        await message.answer(texts.PAYMENTS_USAGE)
        return
    await message.answer(texts.payments_list(await newest_payments(readers, count), catalog))


async def cmd_user(
    message: Message, command: CommandObject, readers: SessionFactory, catalog: Catalog
) -> None:
    ref = parse_user_ref(command.args)
    if ref is None:
        await message.answer(texts.USER_USAGE)
        return
    user_id = await find_user_id(readers, ref)
    if user_id is None:
        await message.answer(texts.user_not_found(str(ref)))
        return
    await message.answer(texts.buyer_report(await buyer_report(readers, user_id), catalog))


async def cmd_grant(
    message: Message, command: CommandObject, writer: Writer, catalog: Catalog
) -> None:
    request = parse_grant_args(command.args)
    if request is None or message.from_user is None:
        await message.answer(texts.GRANT_USAGE)
        return
    product = catalog.get(request.product_id)
    if product is None:
        await message.answer(texts.unknown_product_for_admin(catalog, request.product_id))
        return
    result = await grant_goodwill(
        writer, product, request.user_id, request.days, admin_id=message.from_user.id
    )
    if result.status is GrantStatus.NEEDS_DAYS:
        await message.answer(texts.grant_needs_days(product, request.user_id))
        return
    await message.answer(texts.grant_done(result, product, request.user_id))


async def cmd_revoke(
    message: Message, command: CommandObject, writer: Writer, catalog: Catalog
) -> None:
    request = parse_revoke_args(command.args)
    if request is None or message.from_user is None:
        await message.answer(texts.REVOKE_USAGE)
        return
    product = catalog.get(request.product_id)
    if product is None:
        await message.answer(texts.unknown_product_for_admin(catalog, request.product_id))
        return
    result = await revoke_goodwill(writer, product, request.user_id, admin_id=message.from_user.id)
    await message.answer(texts.revoke_done(result, product, request.user_id))


async def cmd_balance(message: Message, bot: Bot) -> None:
    try:
        balance = await bot.get_my_star_balance()
    except (TelegramAPIError, ClientDecodeError, TimeoutError) as exc:
        logger.warning("getMyStarBalance failed: {!r}", exc)
        error = exc.message if isinstance(exc, TelegramAPIError) else type(exc).__name__
        await message.answer(texts.balance_failed(error))
        return
    await message.answer(texts.star_balance(balance.amount, balance.nanostar_amount))


async def cmd_export(message: Message, readers: SessionFactory) -> None:
    until = utcnow()
    since = until - timedelta(days=CHAT_EXPORT_DAYS)
    out = io.StringIO()
    rows = await write_csv(readers, out, since, until)
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
