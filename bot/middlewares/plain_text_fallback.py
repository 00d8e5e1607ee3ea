"""A message Telegram cannot parse goes out once more as plain text.

Every text is HTML; one that a bug left malformed (an unescaped "<", a tag not closed) is refused
with 400 "can't parse entities". A buyer's confirmation must not be lost to that: the same text,
its tags dropped and its entities decoded, is sent with no parse mode. This applies to every
sendMessage and editMessageText, from the outbox and from handlers alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, Response, SendMessage, TelegramMethod
from loguru import logger

from bot.texts import plain

if TYPE_CHECKING:
    from aiogram import Bot

CANT_PARSE = "can't parse entities"


class PlainTextFallbackMiddleware(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            fallback = as_plain_text(method) if CANT_PARSE in exc.message else None
            if fallback is None:
                raise
            logger.error(
                "{} to chat {}: Telegram cannot parse its HTML ({}); sending it as plain text",
                method.__api_method__,
                fallback.chat_id,
                exc.message,
            )
        return await make_request(bot, fallback)


def as_plain_text(method: TelegramMethod[Any]) -> SendMessage | EditMessageText | None:
    """The same message as plain text with no parse mode; None for any other method."""
    if not isinstance(method, SendMessage | EditMessageText) or method.text is None:
        return None
    update = {"text": plain(method.text), "parse_mode": None, "entities": None}
    return method.model_copy(update=update)
