"""/id: anyone's user id, and in a group the group's id, so that a shop owner can fill in
ADMIN_IDS and the catalog's `chats`. It answers in any chat, a group not yet in the catalog
too; in a managed chat only an admin's /id gets this far (`ManagedChatsMiddleware`)."""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message
from loguru import logger

from bot import texts
from bot.catalog import Catalog
from bot.telegram.failures import CALL_ERRORS, describe_failure

COMMAND = "id"


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_id, Command(COMMAND))
    return router


async def cmd_id(message: Message, catalog: Catalog) -> None:
    chat = message.chat
    # Written as the group (an anonymous admin) or a channel: from_user is Telegram's stand-in.
    user = message.from_user if message.sender_chat is None else None
    in_group = chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    answer = texts.ids_answer(
        user.id if user else None,
        chat.id if in_group else None,
        supergroup=chat.type == ChatType.SUPERGROUP,
        managed=chat.id in catalog.chats,
    )
    try:
        if in_group:  # whose id it is, when several ask
            await message.reply(answer)
        else:
            await message.answer(answer)
    except CALL_ERRORS as exc:  # a group where the bot may not write: it says nothing
        logger.info("could not answer /id in chat {}: {}", chat.id, describe_failure(exc))
