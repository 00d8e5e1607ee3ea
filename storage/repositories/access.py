"""Members the bot let into the private chats it manages, and the removals it owes them.

A removal is recorded in the transaction that decides it (a refund, a revocation, a key seen to
have expired) and done later by one worker; these are the rows both sides read and write. Which
keys ended lately is read through the indexes on `expires_at` and `revoked_at`, never by a scan.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, text, tuple_, update
from sqlmodel import col, select

from storage.goods import REMOVAL_PENDING, AccessRemoval, AdmittedMember
from storage.models import Entitlement
from storage.repositories.base import (
    Repository,
    Row,
    insert_many_ignoring_conflict,
    insert_statement,
)


class AccessRepository(Repository):
    """Admitted members and owed removals (see `AdmittedMember` and `AccessRemoval`)."""

    async def admit(self, chat_id: int, user_id: int, now: datetime) -> None:
        """Record that the bot let `user_id` into `chat_id` (again: a removal is forgotten), and
        drop a removal still owed to them there: they hold a key for it now."""
        table = AdmittedMember.__table__  # type: ignore[attr-defined]
        row = {"chat_id": chat_id, "user_id": user_id, "admitted_at": now, "removed_at": None}
        statement = insert_statement(self.session, table).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.chat_id, table.c.user_id],
            set_={"admitted_at": now, "removed_at": None},
        )
        await self.session.exec(statement)
        await self.drop_pending(user_id, [chat_id], now)

    async def admitted(
        self, user_ids: Collection[int], chat_ids: Collection[int]
    ) -> set[tuple[int, int]]:
        """The (chat_id, user_id) pairs among these that the bot let in and has not removed."""
        if not user_ids or not chat_ids:
            return set()
        statement = select(AdmittedMember.chat_id, AdmittedMember.user_id).where(
            col(AdmittedMember.user_id).in_(set(user_ids)),
            col(AdmittedMember.chat_id).in_(set(chat_ids)),
            col(AdmittedMember.removed_at).is_(None),
        )
        return {(chat_id, user_id) for chat_id, user_id in (await self.session.exec(statement))}

    async def parked_among(
        self, user_ids: Collection[int], chat_ids: Collection[int]
    ) -> set[tuple[int, int]]:
        """The (chat_id, user_id) pairs among these whose removal was given up on: a person
        looks at those, and none is owed again."""
        if not user_ids or not chat_ids:
            return set()
        statement = select(AccessRemoval.chat_id, AccessRemoval.user_id).where(
            col(AccessRemoval.user_id).in_(set(user_ids)),
            col(AccessRemoval.chat_id).in_(set(chat_ids)),
            col(AccessRemoval.parked_at).is_not(None),
            col(AccessRemoval.done_at).is_(None),
            col(AccessRemoval.dropped_at).is_(None),
        )
        return {(chat_id, user_id) for chat_id, user_id in (await self.session.exec(statement))}

    async def first_admitted_at(self) -> datetime | None:
        """When the bot first let anyone in: no key that ended before matters."""
        statement = select(AdmittedMember.admitted_at).order_by(col(AdmittedMember.admitted_at))
        return (await self.session.exec(statement.limit(1))).first()

    async def mark_removed(self, chat_id: int, user_id: int, now: datetime) -> bool:
        """The member is out of the chat (removed, or left): True if they were in."""
        statement = (
            update(AdmittedMember)
            .where(
                col(AdmittedMember.chat_id) == chat_id,
                col(AdmittedMember.user_id) == user_id,
                col(AdmittedMember.removed_at).is_(None),
            )
            .values(removed_at=now)
        )
        return bool((await self.session.exec(statement)).rowcount)

    async def owe(self, rows: Sequence[Row]) -> int:
        """Record removals (chat_id, user_id, reason, due_at, created_at); one already owed to
        the same member of the same chat stays as it is. Returns how many are new."""
        table = AccessRemoval.__table__  # type: ignore[attr-defined]
        return len(await insert_many_ignoring_conflict(self.session, table, rows, table.c.id))

    async def drop_pending(
        self, user_id: int, chat_ids: Collection[int], now: datetime, *, left: bool = False
    ) -> int:
        """Drop the removals still owed to `user_id` in these chats: they hold a key again (or,
        with `left`, mark them done: the member left by themselves)."""
        if not chat_ids:
            return 0
        closed = {"done_at": now, "last_error": "left by themselves"} if left else {}
        statement = (
            update(AccessRemoval)
            .where(
                col(AccessRemoval.user_id) == user_id,
                col(AccessRemoval.chat_id).in_(set(chat_ids)),
                text(REMOVAL_PENDING),
            )
            .values(closed or {"dropped_at": now})
        )
        return int((await self.session.exec(statement)).rowcount or 0)

    async def drop_pending_pairs(self, pairs: Collection[tuple[int, int]], now: datetime) -> int:
        """Drop the removals still owed for these (user_id, chat_id) pairs, in one statement:
        the payment path calls it for a whole batch of buyers."""
        if not pairs:
            return 0
        statement = (
            update(AccessRemoval)
            .where(
                tuple_(col(AccessRemoval.user_id), col(AccessRemoval.chat_id)).in_(set(pairs)),
                text(REMOVAL_PENDING),
            )
            .values(dropped_at=now)
        )
        return int((await self.session.exec(statement)).rowcount or 0)

    async def due(self, now: datetime, limit: int) -> list[AccessRemoval]:
        """Removals owed and due by `now`, the earliest first (through their partial index)."""
        statement = (
            select(AccessRemoval)
            .where(text(REMOVAL_PENDING), col(AccessRemoval.due_at) <= now)
            .order_by(col(AccessRemoval.due_at), col(AccessRemoval.id))
            .limit(limit)
        )
        return list((await self.session.exec(statement)).all())

    async def next_due_at(self) -> datetime | None:
        """When the earliest removal still owed falls due; None if none is owed."""
        statement = select(AccessRemoval.due_at).where(text(REMOVAL_PENDING))
        statement = statement.order_by(col(AccessRemoval.due_at)).limit(1)
        return (await self.session.exec(statement)).first()

    async def settle(self, removal_id: int, **values: object) -> bool:
        """Close or reschedule a removal still owed (done_at, dropped_at, parked_at, due_at,
        attempts, last_error); False if it was no longer owed."""
        statement = (
            update(AccessRemoval)
            .where(col(AccessRemoval.id) == removal_id, text(REMOVAL_PENDING))
            .values(**values)
        )
        return bool((await self.session.exec(statement)).rowcount)

    async def park_chat(self, chat_id: int, now: datetime, error: str) -> int:
        """Give up every removal owed in a chat that is gone (or the bot was removed from)."""
        statement = (
            update(AccessRemoval)
            .where(col(AccessRemoval.chat_id) == chat_id, text(REMOVAL_PENDING))
            .values(parked_at=now, last_error=error)
        )
        return int((await self.session.exec(statement)).rowcount or 0)

    async def ended_between(
        self, keys: Collection[str], since: datetime, until: datetime
    ) -> list[Entitlement]:
        """Grants of `keys` that expired or were revoked in (since, until], each read through
        its own index (`ix_entitlements_expires_at`, `ix_entitlements_revoked_at`)."""
        if not keys:
            return []
        window = or_(
            and_(col(Entitlement.expires_at) > since, col(Entitlement.expires_at) <= until),
            and_(col(Entitlement.revoked_at) > since, col(Entitlement.revoked_at) <= until),
        )
        statement = select(Entitlement).where(window, col(Entitlement.key).in_(set(keys)))
        return list((await self.session.exec(statement)).all())
