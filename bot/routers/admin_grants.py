"""Goodwill on an admin's word: /grant <user_id> <product_id> [days] gives a product without a
payment, /revoke <user_id> <product_id> takes such grants back. Behind the admin gate
(`bot.routers.admin`). Each is named by its message (`command_key`), so that its update handled
twice grants or revokes once and answers the same."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot import texts
from bot.catalog import Catalog, Product
from bot.outcomes import GrantStatus
from bot.services.goodwill import (
    Goodwill,
    GrantCommand,
    command_key,
    parse_grant_args,
    parse_revoke_args,
)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_grant, Command("grant"))
    router.message.register(cmd_revoke, Command("revoke"))
    return router


async def cmd_grant(
    message: Message, command: CommandObject, goodwill: Goodwill, catalog: Catalog
) -> None:
    asked = await _asked(message, parse_grant_args(command.args), texts.grant_usage(), catalog)
    if asked is None:
        return
    request, product, admin_id = asked
    key = command_key(message.chat.id, message.message_id)
    result = await goodwill.grant(
        product, request.user_id, request.days, admin_id=admin_id, command=key
    )
    if result.status is GrantStatus.NEEDS_DAYS:
        await message.answer(texts.grant_needs_days(product, request.user_id))
        return
    await message.answer(texts.grant_done(result, product, request.user_id))


async def cmd_revoke(
    message: Message, command: CommandObject, goodwill: Goodwill, catalog: Catalog
) -> None:
    asked = await _asked(message, parse_revoke_args(command.args), texts.revoke_usage(), catalog)
    if asked is None:
        return
    request, product, admin_id = asked
    key = command_key(message.chat.id, message.message_id)
    result = await goodwill.revoke(product, request.user_id, admin_id=admin_id, command=key)
    await message.answer(texts.revoke_done(result, product, request.user_id))


async def _asked(
    message: Message, request: GrantCommand | None, usage: str, catalog: Catalog
) -> tuple[GrantCommand, Product, int] | None:
    """The command, its product and the admin; None once the admin was told what is wrong."""
    if request is None or message.from_user is None:
        await message.answer(usage)
        return None
    product = catalog.get(request.product_id)
    if product is None:
        await message.answer(texts.unknown_product_for_admin(catalog, request.product_id))
        return None
    return request, product, message.from_user.id
