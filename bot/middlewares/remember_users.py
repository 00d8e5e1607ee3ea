"""Remembers who writes to the bot (id, @username, name, Telegram language), so an admin can
`/user @username`, and a message queued for them is in their language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.services.buyers import UserDirectory


class RememberUsersMiddleware(BaseMiddleware):
    """An outer middleware for messages and button presses; it never delays the handler."""

    def __init__(self, directory: UserDirectory) -> None:
        self.directory = directory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = getattr(event, "from_user", None)
        if isinstance(user, User) and not user.is_bot:
            self.directory.saw(user.id, user.username, user.full_name, user.language_code)
        return await handler(event, data)
