"""Refunds the bot owes by itself (a payment came when nothing was left to sell): recorded in
the transaction that stores the payment, then made by a worker until Telegram answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text, update
from sqlmodel import col, select

from storage.goods import REFUND_PENDING, OwedRefund
from storage.repositories.base import Repository, Row, insert_many_ignoring_conflict
from storage.writer import mark_changed

# What the writer reports after a commit that owed a refund: the refund job runs at once.
REFUNDS_OWED = "owed_refunds"


def owed_refund_row(
    charge_id: str, user_id: int, total_amount: int, reason: str, now: datetime
) -> Row:
    """A refund owed, due now, as a row for `OwedRefundRepository.owe_many`."""
    return {
        "telegram_payment_charge_id": charge_id,
        "user_id": user_id,
        "total_amount": total_amount,
        "reason": reason,
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }


class OwedRefundRepository(Repository):
    """Owed refunds and the worker's progress on them."""

    async def owe_many(self, rows: Sequence[Row]) -> int:
        """Record refunds owed; one already owed for a charge is not recorded again."""
        table = OwedRefund.__table__  # type: ignore[attr-defined]
        added = await insert_many_ignoring_conflict(self.session, table, rows, table.c.id)
        if added:
            mark_changed(self.session, REFUNDS_OWED)
        return len(added)

    async def due(self, now: datetime, limit: int = 20) -> list[OwedRefund]:
        """Owed refunds whose next attempt is due, the oldest first."""
        statement = (
            select(OwedRefund)
            .where(text(REFUND_PENDING), col(OwedRefund.next_attempt_at) <= now)
            .order_by(col(OwedRefund.next_attempt_at))
            .limit(limit)
        )
        return list((await self.session.exec(statement)).all())

    async def done(self, refund_id: int, attempts: int, now: datetime) -> None:
        await self._set(refund_id, attempts=attempts, done_at=now, last_error=None)

    async def retry_later(self, refund_id: int, attempts: int, at: datetime, error: str) -> None:
        await self._set(refund_id, attempts=attempts, next_attempt_at=at, last_error=error)

    async def park(self, refund_id: int, attempts: int, now: datetime, error: str) -> None:
        """Telegram refused it for good: a person looks at `last_error`."""
        await self._set(refund_id, attempts=attempts, parked_at=now, last_error=error)

    async def list_for_charges(self, charge_ids: Sequence[str]) -> list[OwedRefund]:
        statement = select(OwedRefund).where(
            col(OwedRefund.telegram_payment_charge_id).in_(list(charge_ids))
        )
        return list((await self.session.exec(statement)).all())

    async def _set(self, refund_id: int, **values: object) -> None:
        table = OwedRefund.__table__  # type: ignore[attr-defined]
        statement = update(table).where(table.c.id == refund_id).values(**values)
        await self.session.exec(statement)
