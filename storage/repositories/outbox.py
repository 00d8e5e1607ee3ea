"""The outbox: messages the bot owes, stored in the transaction that decides them and sent
after it commits, each once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from storage.models import OutboxMessage, OutboxPriority, utcnow
from storage.repositories.base import Repository, Row, insert_many_ignoring_conflict
from storage.writer import mark_changed

# What the writer reports after a commit that queued messages: the sender wakes up. Beside it,
# `queued_at(priority)` for the most urgent message the commit queued (see `most_urgent`).
OUTBOX_CHANGED = "outbox"


def queued_at(priority: int) -> str:
    return f"{OUTBOX_CHANGED}:{priority}"


def most_urgent(changed: Collection[str]) -> int | None:
    """The most urgent priority of the messages a commit queued, from what the writer reports
    it changed (None: it does not say)."""
    queued = [int(tag.split(":")[1]) for tag in changed if tag.startswith(f"{OUTBOX_CHANGED}:")]
    return min(queued, default=None)


def outbox_row(
    chat_id: int,
    text: str,
    *,
    priority: OutboxPriority,
    dedupe_key: str | None = None,
    reply_markup: str | None = None,
    now: datetime | None = None,
    document: str | None = None,
    protect_content: bool = False,
) -> Row:
    """A message owed to `chat_id`, due now, as a row for `OutboxRepository.queue_many`; with
    `document` (a file's absolute path), that file with `text` as its caption."""
    now = now or utcnow()
    return {
        "chat_id": chat_id,
        "priority": priority,
        "text": text,
        "reply_markup": reply_markup,
        "document": document,
        "protect_content": protect_content,
        "dedupe_key": dedupe_key,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


class OutboxRepository(Repository):
    """Messages owed, and the sender's claims on them."""

    async def queue(
        self,
        chat_id: int,
        text: str,
        *,
        priority: OutboxPriority,
        reply_markup: str | None = None,
        dedupe_key: str | None = None,
    ) -> bool:
        """Owe `chat_id` a message; False if a message with this dedupe_key is already owed."""
        row = outbox_row(
            chat_id, text, priority=priority, reply_markup=reply_markup, dedupe_key=dedupe_key
        )
        return await self.queue_many([row]) == 1

    async def queue_many(self, rows: Sequence[Row]) -> int:
        """Owe many messages (built by `outbox_row`) in one statement; returns how many were
        new (a message with the same dedupe_key owed before is not owed twice)."""
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        added = await insert_many_ignoring_conflict(self.session, table, rows, table.c.id)
        if added:
            mark_changed(self.session, OUTBOX_CHANGED)
            mark_changed(self.session, queued_at(min(int(row["priority"]) for row in rows)))
        return len(added)

    async def queued_since(self, dedupe_prefix: str, since: datetime) -> bool:
        """Whether a message whose dedupe_key starts with `dedupe_prefix` (which ends in ":")
        was queued after `since`; a range on the unique index, not a scan."""
        upper = dedupe_prefix[:-1] + chr(ord(dedupe_prefix[-1]) + 1)
        statement = (
            select(OutboxMessage.id)
            .where(
                col(OutboxMessage.dedupe_key) >= dedupe_prefix,
                col(OutboxMessage.dedupe_key) < upper,
                col(OutboxMessage.created_at) > since,
            )
            .limit(1)
        )
        return (await self.session.exec(statement)).first() is not None

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[OutboxMessage]:
        """Take up to `limit` messages due by `now` to send: unsent, not given up, the most
        urgent first (see OutboxPriority), then in the order they were queued.

        A claimed message is not due again until `lease_until` (or until `release`), so that two
        senders never send one message twice: on PostgreSQL the rows another sender is claiming
        at the same moment are skipped (FOR UPDATE SKIP LOCKED), not waited for. If the sender
        dies with it, the message is due again when the lease ends.
        """
        due = (
            select(OutboxMessage.id)
            .where(
                col(OutboxMessage.sent_at).is_(None),
                col(OutboxMessage.failed_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
            )
            .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(due.scalar_subquery()))
            .values(next_attempt_at=lease_until)
            .returning(OutboxMessage)
        )
        claimed = (await self.session.exec(statement)).scalars().all()
        return sorted(claimed, key=lambda m: (m.priority, m.id))

    async def release(self, message_ids: Sequence[int], now: datetime) -> None:
        """Give claimed messages back unsent: due again at once."""
        statement = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(message_ids), col(OutboxMessage.sent_at).is_(None))
            .values(next_attempt_at=now)
        )
        await self.session.exec(statement)

    async def mark_sent(self, message_id: int) -> None:
        """Telegram accepted the message: it is owed no more."""
        await self._set(message_id, sent_at=utcnow())

    async def retry_later(self, message_id: int, at: datetime, error: str) -> None:
        """Sending failed for now (`error`): due again `at`, one more attempt counted."""
        statement = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .values(
                next_attempt_at=at,
                attempts=OutboxMessage.attempts + 1,
                last_error=error,
            )
        )
        await self.session.exec(statement)

    async def give_up(self, message_id: int, error: str) -> None:
        """The message cannot be sent (`error`): kept, never due again."""
        await self._set(message_id, failed_at=utcnow(), last_error=error)

    async def _set(self, message_id: int, **values: Any) -> None:
        statement = update(OutboxMessage).where(col(OutboxMessage.id) == message_id)
        await self.session.exec(statement.values(**values))
