"""Waiting for the bot: until it made a request, sent a message or confirmed an update.

A waiter re-checks its condition whenever a request comes or is answered, or the update queue
changes; a timeout says what it waited for and lists the last requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from emulator.core import EmulatorCore, messages_in
from emulator.models import JSON, Request
from emulator.telegram.webhooks import WebhookAttempt


class Waiting(EmulatorCore):
    """The wait helpers; `since=` takes a `mark()` to ignore what came before it."""

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
        then arrival is enough, e.g. to know a long-poll is waiting.
        """
        canonical = self._canonical(method)

        def matching() -> list[Request]:
            return [
                request
                for request in self.requests[since:]
                if request.method == canonical
                and (request.status is not None or not answered)
                and (predicate is None or predicate(request))
            ]

        await self._wait_until(lambda: len(matching()) >= count, timeout, f"{count} {canonical}")
        return matching()[-1]

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        text_contains: str | None = None,
        since: int = 0,
        timeout: float = 10.0,
    ) -> JSON:
        """The first message the bot sent to `chat_id` (after `since`) that matches."""

        def found() -> JSON | None:
            start = self.requests[since:]
            for message in messages_in(start, self._sending_methods):
                text = message.get("text") or message.get("caption") or ""
                if message["chat"]["id"] == chat_id and (text_contains or "") in text:
                    return message
            return None

        what = f"a message to {chat_id}" + (
            f" containing {text_contains!r}" if text_contains else ""
        )
        await self._wait_until(lambda: found() is not None, timeout, what)
        message = found()
        assert message is not None
        return message

    async def wait_confirmed(
        self,
        update_id: int,
        timeout: float = 10.0,
    ) -> None:
        """Until the bot confirmed the update (asked getUpdates for a later offset)."""
        await self._wait_until(
            lambda: self.confirmed_offset > update_id, timeout, f"confirmation of {update_id}"
        )

    async def wait_for_webhook(
        self, update_id: int, *, taken: bool = True, timeout: float = 10.0
    ) -> WebhookAttempt:
        """The first POST of the update to the webhook that was taken (a 2xx), or, with
        `taken=False`, that was not."""

        def found() -> WebhookAttempt | None:
            attempts = self.telegram.webhook.attempts
            matching = (a for a in attempts if a.update_id == update_id)
            return next((a for a in matching if (a.error is None) == taken), None)

        what = f"a webhook request of update {update_id} " + ("taken" if taken else "refused")
        await self._wait_until(lambda: found() is not None, timeout, what)
        attempt = found()
        assert attempt is not None
        return attempt

    async def _wait_until(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not condition():
                    await self._activity.wait()
        except TimeoutError:
            raise TimeoutError(self._timeout_report(what, seconds)) from None

    def _timeout_report(self, what: str, seconds: float) -> str:
        recent = [request.summary() for request in self.requests[-15:]]
        return (
            f"no {what} within {seconds} s; {len(self.requests)} requests, "
            f"{len(self.telegram.updates.pending)} updates pending; last requests:\n  "
            + "\n  ".join(recent or ["(none)"])
        )
