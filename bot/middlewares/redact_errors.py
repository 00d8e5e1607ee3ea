"""Errors leave the bot's HTTP session without the token in them.

The token is part of every request URL, and aiohttp's errors name the URL: when an answer cannot
be parsed (a broken proxy, a local Bot API server acting up), aiogram raises TelegramNetworkError
with aiohttp's text and chains aiohttp's error, whose `request_info` holds the URL, as its cause.
From there it would reach a log line, a traceback, an admin's reply and the outbox's last_error.
So every network error is raised again here as a fresh one that says what failed without the
URL, chained to nothing; an error page that quotes the URL is redacted the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import ClientDecodeError, TelegramAPIError, TelegramNetworkError
from aiogram.methods import Response, TelegramMethod
from aiohttp import ClientResponseError

from bot.redaction import Redactor

if TYPE_CHECKING:
    from aiogram import Bot


class RedactErrorsMiddleware(BaseRequestMiddleware):
    """Outermost request middleware: nothing raised past it carries a secret."""

    def __init__(self, redact: Redactor) -> None:
        self.redact = redact

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        try:
            return await make_request(bot, method)
        except TelegramNetworkError as exc:
            failure: Exception = type(exc)(method=method, message=self.redact(describe(exc)))
        except ClientDecodeError as exc:
            if not self.redact.finds(str(exc)):
                raise
            original = ValueError(self.redact(str(exc.original)))
            failure = ClientDecodeError(exc.message, original, self.redact(str(exc.data)))
        except TelegramAPIError as exc:  # Telegram's own description: no URL, but be sure
            exc.message = self.redact(exc.message)
            raise
        # Raised outside the except blocks, so that neither cause nor context holds the original.
        raise failure from None


def describe(error: TelegramNetworkError) -> str:
    """What failed, in one line, without the URL aiohttp appends."""
    cause = error.__cause__
    if isinstance(cause, ClientResponseError):  # its text ends with the URL
        return _first_line(f"{type(cause).__name__}: {cause.status}, {cause.message}")
    return _first_line(error.message)


def _first_line(text: str) -> str:
    return text.strip().partition("\n")[0]
