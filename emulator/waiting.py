"""Waiting for the bot: until it made a request, sent a message or confirmed an update.

A waiter re-checks its condition whenever a request comes or is answered, or the update queue
changes; a timeout says what it waited for and lists the last requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from emulator.core import EmulatorCore
from emulator.models import JSON, Request
from emulator.sent import SentMessage
from emulator.telegram.webhooks import WebhookAttempt

T = TypeVar("T")


class Waiting(EmulatorCore):
    """The wait helpers; `since=` takes a `mark()` to ignore what came before it.

    A waiter is woken after every request any bot makes, so each one remembers how far it has
    looked and looks only at what is new: a burst of thousands of requests costs each waiter
    one look at each, not one at all of them per wake-up.
    """

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Request], bool] | None = None,
        timeout: float = 10.0,
        count: int = 1,
        *,
        since: int = 0,
        answered: bool = True,
    ) -> Request:
        """The latest request of `method` once `count` of them match.

        Only answered requests count (so `.response` is there), unless `answered=False`:
        then arrival is enough, e.g. to know a long-poll is waiting. `predicate` is asked
        once about each request, when it counts: it should look at the request only.
        """
        canonical = self._canonical(method)
        requests = self._requests_of(canonical)
        seen = 0
        unanswered: list[tuple[int, Request]] = []
        matched: list[tuple[int, Request]] = []

        def look() -> Request | None:
            nonlocal seen, unanswered
            new, seen = requests[seen:], len(requests)
            waiting, unanswered = [*unanswered, *new], []
            for position, request in waiting:
                if position < since:
                    continue
                if answered and request.status is None:
                    unanswered.append((position, request))
                elif predicate is None or predicate(request):
                    matched.append((position, request))
            return max(matched)[1] if len(matched) >= count else None

        return await self._wait_until(look, timeout, f"{count} {canonical}")

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        text_contains: str | None = None,
        since: int = 0,
        timeout: float = 10.0,
    ) -> JSON:
        """The first message the bot sent to `chat_id` (after `since`) that matches.

        Edits do not count. Of the messages that match, the first in the order the requests
        came is the one returned, even when a later request was answered sooner.
        """
        seen = 0

        def look() -> JSON | None:
            nonlocal seen
            new = self._sent.answered_since(chat_id, seen)
            seen += len(new)
            matching = [
                (sent.position, n, sent.message)
                for n, sent in enumerate(new)
                if not sent.edit and sent.position >= since and _contains(sent, text_contains)
            ]
            return min(matching)[2] if matching else None

        what = f"a message to {chat_id}" + (
            f" containing {text_contains!r}" if text_contains else ""
        )
        return await self._wait_until(look, timeout, what)

    async def wait_confirmed(
        self,
        update_id: int,
        timeout: float = 10.0,
    ) -> None:
        """Until the bot confirmed the update (asked getUpdates for a later offset)."""

        def look() -> bool | None:
            return self.confirmed_offset > update_id or None

        await self._wait_until(look, timeout, f"confirmation of {update_id}")

    async def wait_for_webhook(
        self, update_id: int, *, taken: bool = True, timeout: float = 10.0
    ) -> WebhookAttempt:
        """The first POST of the update to the webhook that was taken (a 2xx), or, with
        `taken=False`, that was not."""
        attempts = self.telegram.webhook.attempts
        seen = 0

        def look() -> WebhookAttempt | None:
            nonlocal seen
            new, seen = attempts[seen:], len(attempts)
            matching = (a for a in new if a.update_id == update_id)
            return next((a for a in matching if (a.error is None) == taken), None)

        what = f"a webhook request of update {update_id} " + ("taken" if taken else "refused")
        return await self._wait_until(look, timeout, what)

    async def _wait_until(self, look: Callable[[], T | None], seconds: float, what: str) -> T:
        """What `look` finds, asked again at each wake-up until it finds something."""
        try:
            async with asyncio.timeout(seconds):
                while (found := look()) is None:
                    await self._activity.wait()
                return found
        except TimeoutError:
            raise TimeoutError(self._timeout_report(what, seconds)) from None

    def _timeout_report(self, what: str, seconds: float) -> str:
        recent = [request.summary() for request in self.requests[-15:]]
        return (
            f"no {what} within {seconds} s; {len(self.requests)} requests, "
            f"{self.telegram.updates.pending_count} updates pending; last requests:\n  "
            + "\n  ".join(recent or ["(none)"])
        )


def _contains(sent: SentMessage, text: str | None) -> bool:
    message = sent.message
    return (text or "") in (message.get("text") or message.get("caption") or "")
