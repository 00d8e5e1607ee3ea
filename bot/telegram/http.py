"""The HTTP session the bot talks to Telegram through (aiogram's aiohttp one, plus a cache,
and a close without aiogram's wait).

aiogram parses each answer into `Response[<what the method returns>]`, a pydantic generic class
made on first use and then kept in pydantic's cache by a weak reference only. Classes sit in
reference cycles, so every run of the garbage collector (often, in a burst) throws them away,
and the next call builds its class again: about a millisecond of schema building per call.
Keeping each one this session has used costs a few classes and saves that.

aiogram's `close()` then sleeps 250 ms, aiohttp's old advice for letting SSL connections close.
Since aiohttp 3.12.11 closing the connector aborts them at once, so the wait only delays every
stop (and every short-lived Bot: `check`, the tests' hundreds of bots).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot


class TelegramHttpSession(AiohttpSession):
    """aiogram's aiohttp session that keeps the answer classes it has built, and closes at once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._answer_classes: dict[Any, type[Response[Any]]] = {}

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returns = method.__returning__
        if returns not in self._answer_classes:
            self._answer_classes[returns] = Response[returns]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
