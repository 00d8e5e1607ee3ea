"""Support requests: each buyer's latest, and whether /paysupport waits for its description."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from storage.models import SupportRequest
from storage.repositories.base import Repository, first_where, insert_or_update


class SupportRepository(Repository):
    """Each buyer's latest support request (see `SupportRequest`)."""

    async def get(self, user_id: int) -> SupportRequest | None:
        """The buyer's request, as stored now (an earlier write in this transaction may have
        changed it)."""
        buyer = SupportRequest.user_id == user_id
        return await first_where(self.session, SupportRequest, buyer, fresh=True)

    async def is_asked(self, user_id: int) -> bool:
        """Whether /paysupport is waiting for this buyer's description."""
        statement = select(SupportRequest.asked_at).where(SupportRequest.user_id == user_id)
        return (await self.session.exec(statement)).first() is not None

    async def ask(self, user_id: int, now: datetime) -> None:
        """Remember that the buyer was asked to describe the problem."""
        await self._upsert(user_id, asked_at=now, updated_at=now)

    async def open(self, user_id: int, description: str, now: datetime) -> None:
        """A new request, sent to the admins `now`; it takes the place of the buyer's last."""
        await self._upsert(
            user_id, description=description, opened_at=now, asked_at=None, updated_at=now
        )

    async def add_to(self, user_id: int, description: str, now: datetime) -> None:
        """The buyer's open request now reads `description` (theirs, with what they added)."""
        await self._update(user_id, description=description, asked_at=None, updated_at=now)

    async def stop_asking(self, user_id: int, now: datetime) -> bool:
        """The buyer is no longer asked for a description; False if they were not."""
        return await self._update(user_id, asked_at=None, updated_at=now, only_if_asked=True)

    async def _upsert(self, user_id: int, **values: Any) -> None:
        """One statement, whether or not the buyer has a row yet."""
        table = SupportRequest.__table__  # type: ignore[attr-defined]
        row = {"user_id": user_id, "description": "", **values}
        await insert_or_update(self.session, table, row, key="user_id", update=values)

    async def _update(self, user_id: int, *, only_if_asked: bool = False, **values: Any) -> bool:
        statement = update(SupportRequest).where(col(SupportRequest.user_id) == user_id)
        if only_if_asked:
            statement = statement.where(col(SupportRequest.asked_at).is_not(None))
        result = await self.session.exec(statement.values(**values))
        return bool(result.rowcount)
