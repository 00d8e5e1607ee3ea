"""The inbox: updates as Telegram sent them, stored before Telegram is told they arrived, and
handled from here."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxStatus, InboxUpdate, utcnow
from storage.repositories.base import Repository, Row, insert_many_ignoring_conflict

# The JSON an ignored update's row keeps instead of the update.
IGNORED_RAW = "{}"


def inbox_row(
    update_id: int,
    kind: str,
    chat_id: int | None,
    raw: str,
    *,
    status: InboxStatus = InboxStatus.PENDING,
    now: datetime | None = None,
) -> Row:
    """An update as Telegram sent it (`raw`, its JSON), as a row for `InboxRepository.add`."""
    return {
        "update_id": update_id,
        "digest": content_digest(raw),
        "kind": kind,
        "chat_id": chat_id,
        "raw": raw,
        "status": status,
        "attempts": 0,
        "received_at": now or utcnow(),
    }


def content_digest(raw: str) -> str:
    """What tells an update sent again (the same digest) from a new one under the same
    update_id. A lone surrogate is hashed as it is: such JSON is then stored escaped, or not."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class InboxRepository(Repository):
    """Stored updates and how far handling them got."""

    async def add(self, rows: Sequence[Row]) -> dict[int, int]:
        """Store fetched updates (built by `inbox_row`, at most one per update_id); returns the
        row ids of those not stored before, by update_id. An update_id stored before with
        other content is a new update: Telegram starts update_id again after a quiet week."""
        table = InboxUpdate.__table__  # type: ignore[attr-defined]
        added = await insert_many_ignoring_conflict(
            self.session, table, rows, table.c.update_id, table.c.id
        )
        return {update_id: row_id for update_id, row_id in added}

    async def unfinished(
        self, *, from_id: int, through_id: int | None, limit: int
    ) -> Sequence[InboxUpdate]:
        """Pending updates with from_id <= id <= through_id, in the order they were stored."""
        statement = select(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.PENDING, col(InboxUpdate.id) >= from_id
        )
        if through_id is not None:
            statement = statement.where(col(InboxUpdate.id) <= through_id)
        statement = statement.order_by(col(InboxUpdate.id)).limit(limit)
        return (await self.session.exec(statement)).all()

    async def mark_done(self, row_ids: Sequence[int]) -> None:
        """The updates of these rows were handled."""
        statement = (
            update(InboxUpdate)
            .where(col(InboxUpdate.id).in_(row_ids))
            .values(status=InboxStatus.DONE, finished_at=utcnow())
        )
        await self.session.exec(statement)

    async def mark_ignored(self, row_ids: Sequence[int]) -> None:
        """The updates of these rows were handled by being ignored (a flood): done, and their
        content dropped. The digest stays, so that a redelivery is still known."""
        statement = (
            update(InboxUpdate)
            .where(col(InboxUpdate.id).in_(row_ids))
            .values(status=InboxStatus.DONE, finished_at=utcnow(), raw=IGNORED_RAW)
        )
        await self.session.exec(statement)

    async def record_failure(self, row_id: int, attempts: int, error: str, *, park: bool) -> None:
        """Count a failed attempt; `park` gives up on the update (kept, with its JSON)."""
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if park:
            values.update(status=InboxStatus.FAILED, finished_at=utcnow())
        statement = update(InboxUpdate).where(col(InboxUpdate.id) == row_id)
        await self.session.exec(statement.values(**values))

    async def count(self, status: InboxStatus) -> int:
        """How many stored updates have this status."""
        statement = select(func.count()).select_from(InboxUpdate)
        statement = statement.where(InboxUpdate.status == status)
        return int((await self.session.exec(statement)).one())


async def record_inbox_rows(session: AsyncSession, batches: Sequence[list[Row]]) -> list[None]:
    """Batch function for the writer: the records of answered pre-checkouts (built by
    `inbox_row`), of many requests in one statement. A record is not handed to a runner, so
    which rows are new does not matter."""
    rows = {int(row["update_id"]): row for batch in batches for row in batch}
    await InboxRepository(session).add(list(rows.values()))
    return [None] * len(batches)


async def mark_inbox_done(session: AsyncSession, row_ids: Sequence[int]) -> list[None]:
    """Batch function for the writer: many handled updates (by row id), one statement."""
    await InboxRepository(session).mark_done(row_ids)
    return [None] * len(row_ids)


async def mark_inbox_ignored(session: AsyncSession, row_ids: Sequence[int]) -> list[None]:
    """Batch function for the writer: many ignored updates (by row id), one statement."""
    await InboxRepository(session).mark_ignored(row_ids)
    return [None] * len(row_ids)
