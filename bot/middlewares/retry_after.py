"""Every Bot API call that gets 429 waits `retry_after` and tries again, within a time budget."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import (
    AnswerPreCheckoutQuery,
    RefundStarPayment,
    Response,
    TelegramMethod,
)
from loguru import logger

if TYPE_CHECKING:
    from aiogram import Bot


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
