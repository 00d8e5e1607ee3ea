"""The inbox: updates as Telegram sent them, stored before Telegram is told they arrived, and
handled from here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxStatus, InboxUpdate, utcnow
from storage.repositories.base import Repository, Row, insert_many_ignoring_conflict


def inbox_row(
    update_id: int,
    kind: str,
    chat_id: int | None,
    raw: str,
    *,
    status: InboxStatus = InboxStatus.PENDING,
    now: datetime | None = None,
) -> Row:
    """An update as Telegram sent it, as a row for `InboxRepository.add`."""
    return {
        "update_id": update_id,
        "kind": kind,
        "chat_id": chat_id,
        "raw": raw,
        "status": status,
        "attempts": 0,
        "received_at": now or utcnow(),
    }


class InboxRepository(Repository):
    """Stored updates and how far handling them got."""

    async def add(self, rows: Sequence[Row]) -> set[int]:
        """Store fetched updates (built by `inbox_row`); returns the update_ids that were not
        stored yet."""
        table = InboxUpdate.__table__  # type: ignore[attr-defined]
        added = await insert_many_ignoring_conflict(self.session, table, rows, table.c.update_id)
        return {update_id for (update_id,) in added}

    async def unfinished(
        self, *, from_id: int, through_id: int | None, limit: int
    ) -> Sequence[InboxUpdate]:
        """Pending updates with from_id <= update_id <= through_id, oldest first."""
        statement = select(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.PENDING, col(InboxUpdate.update_id) >= from_id
        )
        if through_id is not None:
            statement = statement.where(col(InboxUpdate.update_id) <= through_id)
        statement = statement.order_by(col(InboxUpdate.update_id)).limit(limit)
        return (await self.session.exec(statement)).all()

    async def mark_done(self, update_ids: Sequence[int]) -> None:
        """These updates were handled."""
        statement = (
            update(InboxUpdate)
            .where(col(InboxUpdate.update_id).in_(update_ids))
            .values(status=InboxStatus.DONE, finished_at=utcnow())
        )
        await self.session.exec(statement)

    async def record_failure(
        self, update_id: int, attempts: int, error: str, *, park: bool
    ) -> None:
        """Count a failed attempt; `park` gives up on the update (kept, with its JSON)."""
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if park:
            values.update(status=InboxStatus.FAILED, finished_at=utcnow())
        statement = update(InboxUpdate).where(col(InboxUpdate.update_id) == update_id)
        await self.session.exec(statement.values(**values))

    async def count(self, status: InboxStatus) -> int:
        """How many stored updates have this status."""
        statement = select(func.count()).select_from(InboxUpdate)
        statement = statement.where(InboxUpdate.status == status)
        return int((await self.session.exec(statement)).one())


async def mark_inbox_done(session: AsyncSession, update_ids: Sequence[int]) -> list[None]:
    """Batch function for the writer: many handled updates, one statement."""
    await InboxRepository(session).mark_done(update_ids)
    return [None] * len(update_ids)
