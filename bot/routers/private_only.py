"""Commands that show a buyer's own data or the shop's, typed in a group: one short line
pointing at the private chat, the same for every such command and everyone, so a group learns
neither the data nor who is an admin.

The routers of these commands (admin, purchases, subscriptions, support) carry `InPrivateChat`
themselves; this router only answers what they turn away in groups. A new command that shows
private data goes into `PRIVATE_COMMANDS` (admin commands are in `texts.ADMIN_COMMANDS`).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from loguru import logger

from bot import texts
from bot.filters import InGroup, Magic
from bot.keyboards.files import ResendFilesButton
from bot.keyboards.refunds import RefundButton
from bot.keyboards.subscriptions import SubscriptionButton
from bot.telegram.failures import CALL_ERRORS, describe_failure

# The buyer's commands that show their purchases, charge ids or support conversation.
PRIVATE_COMMANDS = ("mypurchases", "subscriptions", "paysupport", "cancel", "language")
# The buttons that act on them: the admins' (refunds), a buyer's subscriptions and files.
BUTTONS = (
    f"{RefundButton.__prefix__}:",
    f"{SubscriptionButton.__prefix__}:",
    f"{ResendFilesButton.__prefix__}:",
)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(InGroup())
    router.callback_query.filter(InGroup())
    router.message.register(use_private_chat, Command(*texts.ADMIN_COMMANDS, *PRIVATE_COMMANDS))
    router.callback_query.register(use_private_chat_button, Magic(F.data.startswith(BUTTONS)))
    return router


async def use_private_chat(message: Message) -> None:
    try:
        await message.answer(texts.private_chat_only())
    except CALL_ERRORS as exc:  # a group where the bot may not write: it says nothing
        logger.info("could not answer in chat {}: {}", message.chat.id, describe_failure(exc))


async def use_private_chat_button(query: CallbackQuery) -> None:
    # Only the person who pressed sees an alert.
    await query.answer(texts.private_chat_only_button(), show_alert=True)
