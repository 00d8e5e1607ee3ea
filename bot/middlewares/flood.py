"""A per-user flood limit: more than FLOOD_LIMIT updates in FLOOD_WINDOW seconds gets one short
answer, then the user's updates are dropped for FLOOD_PAUSE seconds.

Payments, refunds and pre-checkout queries always pass (money has moved, or Telegram waits for
an answer), and so do admins. The state is one small record per user seen in the last
max(FLOOD_WINDOW, FLOOD_PAUSE) seconds; older ones are dropped as new updates arrive, so memory
follows the users active right now, never everyone the bot has met.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update, User
from loguru import logger

from bot import texts
from bot.inbox.runner import UPDATE_IGNORED
from bot.telegram.failures import describe_failure
from storage.update_kinds import never_throttled


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"  # over the limit just now: answered once, then ignored
    IGNORE = "ignore"  # still paused


@dataclass
class _Recent:
    seen: float  # the last update, passed or not
    times: deque[float] = field(default_factory=deque)  # of the passed ones in the window
    paused_until: float = 0.0


class FloodGate:
    """Counts each user's updates over a sliding window; see the module docstring."""

    def __init__(
        self,
        limit: int,
        window: float,
        pause: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.pause = pause
        self._clock = clock
        # Least recently seen first, so the idle ones are dropped from the front.
        self._users: OrderedDict[int, _Recent] = OrderedDict()

    def __len__(self) -> int:
        return len(self._users)

    def check(self, user_id: int) -> Verdict:
        now = self._clock()
        self._forget_idle(now)
        recent = self._users.pop(user_id, None) or _Recent(seen=now)
        self._users[user_id] = recent
        recent.seen = now
        if now < recent.paused_until:
            return Verdict.IGNORE
        while recent.times and now - recent.times[0] >= self.window:
            recent.times.popleft()
        if len(recent.times) < self.limit:
            recent.times.append(now)
            return Verdict.PASS
        recent.times.clear()
        recent.paused_until = now + self.pause
        return Verdict.WARN

    def _forget_idle(self, now: float) -> None:
        # A user unseen for this long has an empty window and no pause left.
        idle = max(self.window, self.pause)
        while self._users:
            recent = next(iter(self._users.values()))
            if now - recent.seen < idle:
                return
            self._users.popitem(last=False)


class FloodLimitMiddleware(BaseMiddleware):
    """An outer middleware on `update`: sees every update before any router."""

    def __init__(self, gate: FloodGate, exempt: Collection[int]) -> None:
        self.gate = gate
        self.exempt = frozenset(exempt)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = data.get("event_from_user")
        if (
            not isinstance(event, Update)
            or not isinstance(user, User)
            or user.id in self.exempt
            or never_throttled(event)
        ):
            return await handler(event, data)
        verdict = self.gate.check(user.id)
        if verdict is Verdict.PASS:
            return await handler(event, data)
        if verdict is Verdict.WARN:
            logger.warning(
                "user {} sent more than {} updates in {}s: ignored for {}s",
                user.id,
                self.gate.limit,
                self.gate.window,
                self.gate.pause,
            )
            await self._warn(event, data["bot"])
        return UPDATE_IGNORED  # the inbox keeps no more of it than that it was handled

    async def _warn(self, update: Update, bot: Bot) -> None:
        """The one answer: in the chat, or on the button that was pressed."""
        text = texts.flood_warning(self.gate.pause)
        try:
            if update.callback_query is not None:
                await bot.answer_callback_query(update.callback_query.id, text=text)
            elif update.message is not None:
                await bot.send_message(update.message.chat.id, text)
        except Exception as exc:  # best effort: the user is being ignored anyway
            logger.warning(
                "could not tell user they are sending too fast: {}", describe_failure(exc)
            )
