"""Small named counters, such as how many Star transactions reconciliation has seen."""

from __future__ import annotations

from sqlmodel import select

from storage.models import SyncState
from storage.repositories.base import Repository, insert_or_update


class SyncStateRepository(Repository):
    """Named counters (see `SyncState`)."""

    async def get(self, name: str) -> int:
        """The counter's value, 0 until it is first set."""
        statement = select(SyncState.value).where(SyncState.name == name)
        value = (await self.session.exec(statement)).first()
        return value if value is not None else 0

    async def set(self, name: str, value: int) -> None:
        """Store `value` under `name` in one statement, whether or not the name is there yet."""
        table = SyncState.__table__  # type: ignore[attr-defined]
        row = {"name": name, "value": value}
        await insert_or_update(self.session, table, row, key="name", update=["value"])
