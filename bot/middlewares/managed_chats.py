"""In the private chats the bot manages, as an administrator it receives every message; there
it handles only join requests, member changes and its own (`my_chat_member`: the admins are
told, never the chat), and says nothing. This outer middleware, before the flood limit, drops
those chats' messages and button presses, so that no fallback reply, support flow or flood
warning ever acts on them; every other update goes on.

One exception: an admin's `admin_command` (/id) goes on, so that an admin can ask there what
the bot would tell anyone in a chat it does not manage. A paid chat hears the bot only then."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.inbox.runner import UPDATE_IGNORED


class ManagedChatsMiddleware(BaseMiddleware):
    """An outer middleware on `update`: messages and buttons in managed chats go no further,
    but for `admin_command` sent by one of `admin_ids`."""

    def __init__(
        self, chat_ids: Collection[int], admin_ids: Collection[int], admin_command: str
    ) -> None:
        self.chat_ids = frozenset(chat_ids)
        self.admin_ids = frozenset(admin_ids)
        # aiogram's own parsing, as the handler's: /id@other_bot is not ours.
        self.admin_command = Command(admin_command)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if (
            isinstance(event, Update)
            and _chat_id(event) in self.chat_ids
            and not await self._from_an_admin(event, data["bot"])
        ):
            return UPDATE_IGNORED
        return await handler(event, data)

    async def _from_an_admin(self, update: Update, bot: Bot) -> bool:
        """Whether the update is `admin_command`, sent by an admin in their own name."""
        message = update.message
        if message is None or message.sender_chat is not None:
            return False
        if message.from_user is None or message.from_user.id not in self.admin_ids:
            return False
        return bool(await self.admin_command(message, bot))


def _chat_id(update: Update) -> int | None:
    """The chat of a message (new or edited, a channel's post too) or of a pressed button."""
    for message in (
        update.message,
        update.edited_message,
        update.channel_post,
        update.edited_channel_post,
    ):
        if isinstance(message, Message):
            return message.chat.id
    query = update.callback_query
    if isinstance(query, CallbackQuery) and isinstance(query.message, Message):
        return query.message.chat.id
    return None
