"""In the private chats the bot manages, as an administrator it receives every message; there
it handles only join requests and member changes, and says nothing. This outer middleware,
before the flood limit, drops the rest of those chats' updates, so that no fallback reply,
support flow or flood warning ever acts on them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.inbox.runner import UPDATE_IGNORED


class ManagedChatsMiddleware(BaseMiddleware):
    """An outer middleware on `update`: messages and buttons in managed chats go no further."""

    def __init__(self, chat_ids: Collection[int]) -> None:
        self.chat_ids = frozenset(chat_ids)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update) and _chat_id(event) in self.chat_ids:
            return UPDATE_IGNORED
        return await handler(event, data)


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
