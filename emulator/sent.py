"""The Messages the bot sent or edited, indexed by chat as each request is answered.

Tests look messages up all the time, and a waiter looks again after every request any bot
makes. Walking every request ever made on each look is quadratic in a burst of hundreds of
buyers, so the index is kept up to date instead, and a look costs what it returns.

Two orders matter. Callers see messages in the order the bot's requests arrived (one entry per
call: an edit is an entry of its own), as if read off the log of requests. Waiters need what is
new since they last looked, which is the order the requests were answered: a request that
arrived first may be answered later (a slow answer, two sends side by side).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from emulator.models import JSON


@dataclass(frozen=True)
class SentMessage:
    """One Message in the answer to one request."""

    position: int  # the request's place in the emulator's `requests`
    message: JSON
    edit: bool  # an edit's answer, not a new message


class _Chat:
    """One chat's messages, in arrival order and in answer order."""

    def __init__(self) -> None:
        # (position, n-th message of that answer), kept sorted beside `in_order`.
        self.keys: list[tuple[int, int]] = []
        self.in_order: list[JSON] = []
        self.answered: list[SentMessage] = []

    def add(self, sent: SentMessage, key: tuple[int, int]) -> None:
        self.answered.append(sent)
        if not self.keys or key > self.keys[-1]:  # answered in the order they came: the rule
            self.keys.append(key)
            self.in_order.append(sent.message)
            return
        at = bisect.bisect(self.keys, key)
        self.keys.insert(at, key)
        self.in_order.insert(at, sent.message)


class SentMessages:
    """The index: every chat's messages, and all of them, as the requests were answered."""

    def __init__(self) -> None:
        self._chats: dict[int, _Chat] = {}
        self._all = _Chat()

    def record(self, position: int, result: object, *, edit: bool) -> None:
        """Index the Messages in the `result` of the request at `position` (a Message, a list
        of them, or anything else, which holds none: True for an inline edit, MessageIds)."""
        for n, message in enumerate(_messages_of(result)):
            sent, key = SentMessage(position, message, edit), (position, n)
            self._all.add(sent, key)
            self._chats.setdefault(message["chat"]["id"], _Chat()).add(sent, key)

    def messages(self, chat_id: int | None = None) -> list[JSON]:
        """The messages to `chat_id` (or to every chat) in arrival order: a new list each
        time, which the index never changes afterwards."""
        chat = self._all if chat_id is None else self._chats.get(chat_id)
        return list(chat.in_order) if chat is not None else []

    def answered_since(self, chat_id: int, seen: int) -> list[SentMessage]:
        """The messages to `chat_id` answered after the first `seen` of them: a waiter keeps
        its count and asks only for what is new."""
        chat = self._chats.get(chat_id)
        return chat.answered[seen:] if chat is not None else []


def _messages_of(result: object) -> Iterable[JSON]:
    for item in result if isinstance(result, list) else [result]:
        if isinstance(item, dict) and "chat" in item:
            yield item
