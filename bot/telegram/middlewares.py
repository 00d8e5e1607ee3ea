"""The request middlewares of the bot's HTTP session, outermost first.

1. Errors leave the session without a secret in them. The token is part of every request URL,
   and aiohttp's errors name the URL: when an answer cannot be parsed (a broken proxy, a local
   Bot API server acting up), aiogram raises TelegramNetworkError with aiohttp's text and
   chains aiohttp's error, whose `request_info` holds the URL, as its cause. From there it
   would reach a log line, a traceback, an admin's reply and the outbox's last_error. So every
   network error is raised again as a fresh one that says what failed without the URL, chained
   to nothing; an error page that quotes the URL is redacted the same way. Any other error (a
   proxy's page that is not UTF-8 makes aiohttp raise UnicodeDecodeError, page and all) is
   raised as a network error too: Telegram may have acted, and every caller expects one.
2. A message Telegram cannot parse goes out once more as plain text. Every text is HTML; one
   that a bug left malformed is refused with 400 "can't parse entities", and a buyer's
   confirmation must not be lost to that.
3. Every call that gets 429 waits `retry_after` and tries again, within a time budget.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerPreCheckoutQuery,
    EditMessageText,
    RefundStarPayment,
    Response,
    SendMessage,
    TelegramMethod,
)
from aiohttp import ClientResponseError
from loguru import logger

from bot.redaction import Redactor
from bot.telegram.failures import first_line
from bot.texts import plain

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
        except Exception as exc:  # not aiogram's; a cancellation is no Exception, and goes on
            failure = TelegramNetworkError(method=method, message=self.redact(describe_other(exc)))
        # Raised outside the except blocks, so that neither cause nor context holds the original.
        raise failure from None


def describe(error: TelegramNetworkError) -> str:
    """What failed, in one line, without the URL aiohttp appends."""
    cause = error.__cause__
    if isinstance(cause, ClientResponseError):  # its text ends with the URL
        return first_line(f"{type(cause).__name__}: {cause.status}, {cause.message}")
    return first_line(error.message)


def describe_other(error: Exception) -> str:
    """What failed, in one line, for an error that aiogram did not make."""
    if isinstance(error, UnicodeDecodeError):  # its `object` is the whole page
        return f"UnicodeDecodeError: the answer is not {error.encoding.upper()} (an error page?)"
    return first_line(f"{type(error).__name__}: {error}")


CANT_PARSE = "can't parse entities"


class PlainTextFallbackMiddleware(BaseRequestMiddleware):
    """sendMessage and editMessageText refused for their HTML go out once more as plain text,
    from the outbox and from handlers alike."""

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


@dataclass(frozen=True)
class RetryBudget:
    attempts: int  # calls in all, the first included
    seconds: float  # total time spent waiting between them


DEFAULT_BUDGET = RetryBudget(attempts=12, seconds=30.0)
BUDGETS: dict[type[TelegramMethod[Any]], RetryBudget] = {
    # Useless after Telegram's 10 s pre-checkout deadline.
    AnswerPreCheckoutQuery: RetryBudget(attempts=2, seconds=3.0),
    # An admin is waiting for the answer: a few tries, then say so.
    RefundStarPayment: RetryBudget(attempts=4, seconds=30.0),
}


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Honour Telegram's flood control: sleep `retry_after`, then send the same request again.

    Requests that hit the limit together would all come back together and hit it again, so
    each waits `retry_after` plus a random part of it.
    """

    def __init__(self, budgets: dict[type[TelegramMethod[Any]], RetryBudget] | None = None):
        self.budgets = BUDGETS if budgets is None else budgets

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        if method.__api_method__ == "getUpdates":  # the poller has its own back-off
            return await make_request(bot, method)
        budget = self.budgets.get(type(method), DEFAULT_BUDGET)
        attempt, waited = 1, 0.0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                delay = exc.retry_after * (1 + random.random())
                if attempt >= budget.attempts or waited + delay > budget.seconds:
                    logger.warning(
                        "{}: 429, giving up after {} tries", method.__api_method__, attempt
                    )
                    raise
                logger.warning(
                    "{}: 429, try {} again in {:.1f}s", method.__api_method__, attempt + 1, delay
                )
                await asyncio.sleep(delay)
                attempt, waited = attempt + 1, waited + delay
