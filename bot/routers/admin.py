"""The admin gate: every admin command and button passes `InPrivateChat` and `IsAdmin` here,
once, and anyone else is told "not allowed" once. In a group, whoever sends an admin command gets
the same short line as for any private command (`bot.routers.private_only`), never its answer.

The admin features are routers of their own, included only behind this gate:
`admin_refunds` (/refund, the Refund buttons of support requests, /reconcile), `admin_reports`
(/stats, /payments, /user, /balance, /export), `admin_grants` (/grant, /revoke) and
`admin_stock` (/stock). A new admin
command goes into one of them (or a new one included here) and into `texts.ADMIN_COMMANDS`.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from loguru import logger

from bot import texts
from bot.filters import InPrivateChat, IsAdmin
from bot.keyboards.refunds import RefundButton
from bot.routers import admin_grants, admin_refunds, admin_reports, admin_stock

ADMIN_BUTTON_PREFIX = f"{RefundButton.__prefix__}:"


def create_router() -> Router:
    admins = Router(name=f"{__name__}.admins")
    # A router's filters hold for the routers it includes.
    admins.message.filter(IsAdmin())
    admins.callback_query.filter(IsAdmin())
    admins.include_routers(
        admin_refunds.create_router(),
        admin_reports.create_router(),
        admin_grants.create_router(),
        admin_stock.create_router(),
    )
    # Reached by whoever the filter above turned away (or by a malformed `adm:` button).
    others = Router(name=f"{__name__}.others")
    others.message.register(refuse_command, Command(*texts.ADMIN_COMMANDS))
    others.callback_query.register(refuse_button, F.data.startswith(ADMIN_BUTTON_PREFIX))
    router = Router(name=__name__)
    # An admin's answer would show buyers' ids and charge ids to every member of a group.
    router.message.filter(InPrivateChat())
    router.callback_query.filter(InPrivateChat())
    # The refusals last: an admin's command must reach its handler first.
    router.include_routers(admins, others)
    return router


async def refuse_command(message: Message) -> None:
    user_id = message.from_user.id if message.from_user else None
    logger.warning("user {} is not an admin: refused {!r}", user_id, message.text)
    await message.answer(texts.not_allowed())


async def refuse_button(query: CallbackQuery) -> None:
    logger.warning("user {} is not an admin: refused button {!r}", query.from_user.id, query.data)
    await query.answer(texts.not_allowed_button(), show_alert=True)
