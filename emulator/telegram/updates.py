"""Telegram's side of getUpdates: a queue of updates confirmed by offset."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator

from emulator.models import JSON, ApiError, json_copy

# Telegram's answer to allowed_updates=[] (or never set): everything but these.
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
FIRST_UPDATE_ID = 500_000_001
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


def update_kind(update: JSON) -> str:
    """The one optional field that says what an Update is ("message", ...)."""
    return next(key for key in update if key != "update_id")


class UpdateQueue:
    """Pending updates with increasing ids, confirmed (forgotten) by getUpdates' offset."""

    def __init__(self) -> None:
        # By update_id, in the order queued, which is increasing: ids start again only when
        # nothing is pending. A webhook takes updates out of order, one at a time, so each is
        # forgotten on its own; an OrderedDict does that, and finds the first, at O(1).
        self._pending: OrderedDict[int, JSON] = OrderedDict()
        self.history: dict[int, JSON] = {}
        self.delivered: set[int] = set()
        # How many times each update was returned by getUpdates (a redelivery counts again).
        self.deliveries: Counter[int] = Counter()
        self.confirmed_offset = 0
        self.allowed_updates: list[str] | None = None
        # While a webhook is set, updates go there (webhooks.py) and getUpdates answers 409.
        self.webhook_active = False
        self._next_id = FIRST_UPDATE_ID
        self._changed = asyncio.Event()
        self._poll_generation = 0
        self._closed = False
        # Called on every change (new update, confirmation), for test-side waiters.
        self.listeners: list[Callable[[], None]] = []

    def queue(self, body: JSON) -> int:
        """Add an update (without update_id); returns the update_id Telegram gave it."""
        update_id = self._next_id
        self._next_id += 1
        content = json_copy(body)
        content.pop("update_id", None)
        update = {"update_id": update_id, **content}
        self._pending[update_id] = update
        self.history[update_id] = update
        self._wake()
        return update_id

    def restart_ids(self, first: int) -> None:
        """Telegram, after a week without updates, gives the next update_id at random: the
        next update gets `first`, which may be below ids given out before (and equal to one).
        `history` keeps the latest update under each id."""
        if self._pending:
            raise ValueError("update_id starts again only after a week without updates")
        self._next_id = first
        self.confirmed_offset = first

    def confirm(self, offset: int) -> None:
        """Apply getUpdates' offset: confirm below it, or keep the last -offset updates. An
        offset beyond every id given out (one from before `restart_ids`) confirms nothing:
        Telegram sends the updates it has."""
        if offset > self._next_id:
            return
        if offset > 0:
            while self._pending and next(iter(self._pending)) < offset:
                self._pending.popitem(last=False)
            self.confirmed_offset = max(self.confirmed_offset, offset)
        elif offset < 0:
            while len(self._pending) > -offset:
                self._pending.popitem(last=False)
            self.confirmed_offset = max(self.confirmed_offset, self._first_pending())

    def acknowledge(self, update_id: int) -> None:
        """The webhook took this update: forget it. Updates are taken out of order (a chat
        waits for its own), so the confirmed offset is the first still pending."""
        self._pending.pop(update_id, None)
        self.confirmed_offset = max(self.confirmed_offset, self._first_pending())
        self._wake()

    def drop_pending(self) -> None:
        """deleteWebhook(drop_pending_updates=True) forgets everything not yet confirmed."""
        if self._pending:
            self.confirmed_offset = next(reversed(self._pending)) + 1
        self._pending.clear()
        self._wake()

    @property
    def pending(self) -> list[JSON]:
        """The updates not yet confirmed, in order (a new list)."""
        return list(self._pending.values())

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def iter_pending(self) -> Iterator[JSON]:
        """The updates not yet confirmed, in order, without a copy: do not change the queue
        while going through them."""
        return iter(self._pending.values())

    def _first_pending(self) -> int:
        """The id of the first update still pending, or the next id when none is."""
        return next(iter(self._pending), self._next_id)

    def available(self, limit: int) -> list[JSON]:
        allowed = (u for u in self._pending.values() if self.allows(update_kind(u)))
        ready = list(itertools.islice(allowed, limit))
        self.delivered.update(u["update_id"] for u in ready)
        self.deliveries.update(u["update_id"] for u in ready)
        return json_copy(ready)

    async def get_updates(
        self,
        offset: int,
        limit: int,
        poll_seconds: float,
        allowed_updates: list[str] | None,
        client_gone: Callable[[], bool],
    ) -> list[JSON]:
        """getUpdates: confirm, answer at once if anything is ready, else long-poll."""
        if not 1 <= limit <= 100:
            limit = 100 if limit <= 0 else min(limit, 100)
        if self.webhook_active:
            raise ApiError(409, WEBHOOK_CONFLICT)
        if allowed_updates is not None:
            self.allowed_updates = allowed_updates
        self.confirm(offset)
        # A newer getUpdates terminates the one still waiting, as on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()
        deadline = time.monotonic() + max(poll_seconds, 0)
        while True:
            if self.webhook_active:  # set while this call waited
                raise ApiError(409, WEBHOOK_CONFLICT)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = self.available(limit)
            if ready or self._closed or client_gone():
                return ready
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            changed = self._changed
            # Wake on a new update, or every 0.1 s to notice a client that hung up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=min(remaining, 0.1))

    def reopen(self) -> None:
        self._closed = False

    def close(self) -> None:
        """Answer every waiting long-poll now (emulator shutdown)."""
        self._closed = True
        self._wake()

    def notify(self) -> None:
        """Wake the waiters: something they may wait for changed (a webhook's request)."""
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        for listener in self.listeners:
            listener()

    def allows(self, kind: str) -> bool:
        """Whether updates of this kind are sent (allowed_updates)."""
        chosen = self.allowed_updates
        return kind in chosen if chosen else kind not in NOT_SENT_BY_DEFAULT
