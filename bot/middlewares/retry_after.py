"""Every Bot API call that gets 429 waits `retry_after` and tries again, a bounded number of times."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import AnswerPreCheckoutQuery, GetUpdates, Response, TelegramMethod
from loguru import logger

if TYPE_CHECKING:
    from aiogram import Bot

# A pre-checkout answer is useless after Telegram's 10 s deadline: wait only briefly for it.
MAX_WAIT_BY_METHOD: dict[type[TelegramMethod[Any]], float] = {AnswerPreCheckoutQuery: 3.0}


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Honour Telegram's flood control: sleep `retry_after`, then send the same request again."""

    def __init__(self, max_attempts: int = 4, max_wait: float = 30.0) -> None:
        self.max_attempts = max_attempts
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        if isinstance(method, GetUpdates):  # the poller has its own back-off
            return await make_request(bot, method)
        max_wait = MAX_WAIT_BY_METHOD.get(type(method), self.max_wait)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self.max_attempts or exc.retry_after > max_wait:
                    raise
                logger.warning(
                    "{}: 429, retry {} of {} after {}s",
                    method.__api_method__, attempt, self.max_attempts - 1, exc.retry_after,
                )
                await asyncio.sleep(exc.retry_after)
                attempt += 1
