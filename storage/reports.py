"""Read-only queries for operators: sales totals, payments with their refunds, audit events,
backlogs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import (
    AuditEvent,
    InboxStatus,
    InboxUpdate,
    OutboxMessage,
    Payment,
    Refund,
)

# Rows fetched at a time when an export streams the payments table.
STREAM_BATCH = 500


@dataclass(frozen=True)
class Totals:
    """Payments made in some period, and how many of them have been refunded (at any time)."""

    payments: int
    stars: int
    refunds: int
    refunded_stars: int


async def sales_totals(
    session: AsyncSession, starts: Sequence[datetime | None], *, user_id: int | None = None
) -> list[Totals]:
    """For each of `starts`, the payments made from it on (None: all of them), in one pass over
    the payments; only `user_id`'s when given."""
    refunded = col(Refund.id).is_not(None)
    columns: list[Any] = []
    for start in starts:
        made = col(Payment.paid_at) >= start if start is not None else col(Payment.id).is_not(None)
        made_and_refunded = and_(made, refunded)
        columns += [
            func.count(case((made, 1))),
            func.coalesce(func.sum(case((made, Payment.total_amount))), 0),
            func.count(case((made_and_refunded, 1))),
            func.coalesce(func.sum(case((made_and_refunded, Refund.total_amount))), 0),
        ]
    statement = select(*columns).select_from(Payment).outerjoin(Refund, _refund_of_payment())
    if user_id is not None:
        statement = statement.where(Payment.user_id == user_id)
    row = (await session.exec(statement)).one()
    values = [int(value) for value in row]
    return [Totals(*values[index : index + 4]) for index in range(0, len(values), 4)]


async def count_payments(
    session: AsyncSession, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Payments with since <= paid_at < until (either bound may be left open)."""
    statement = select(func.count()).select_from(Payment).where(*_paid_between(since, until))
    return int((await session.exec(statement)).one())


async def stream_payments(
    session: AsyncSession, since: datetime | None = None, until: datetime | None = None
) -> AsyncIterator[tuple[Payment, Refund | None]]:
    """Payments with since <= paid_at < until, oldest first, each with its refund if any; read
    a batch at a time, so that an export of any size holds only a batch in memory."""
    statement = (
        select(Payment, Refund)
        .outerjoin(Refund, _refund_of_payment())
        .where(*_paid_between(since, until))
        .order_by(col(Payment.paid_at), col(Payment.id))
        .execution_options(yield_per=STREAM_BATCH)
    )
    result = await session.stream(statement)
    async for payment, refund in result:
        yield payment, refund


async def recent_payments(
    session: AsyncSession, limit: int
) -> list[tuple[Payment, Refund | None]]:
    """The newest `limit` payments, each with its refund if any."""
    statement = (
        select(Payment, Refund)
        .outerjoin(Refund, _refund_of_payment())
        .order_by(col(Payment.paid_at).desc(), col(Payment.id).desc())
        .limit(limit)
    )
    return [(payment, refund) for payment, refund in (await session.exec(statement)).all()]


async def audit_events_of(
    session: AsyncSession, user_id: int, kinds: Collection[str]
) -> Sequence[AuditEvent]:
    """The audit events of these kinds about `user_id`, oldest first."""
    statement: SelectOfScalar[AuditEvent] = (
        select(AuditEvent)
        .where(col(AuditEvent.kind).in_(kinds), AuditEvent.user_id == user_id)
        .order_by(col(AuditEvent.id))
    )
    return (await session.exec(statement)).all()


def _refund_of_payment() -> ColumnElement[bool]:
    return col(Refund.telegram_payment_charge_id) == col(Payment.telegram_payment_charge_id)


def _paid_between(since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    bounds = []
    if since is not None:
        bounds.append(col(Payment.paid_at) >= since)
    if until is not None:
        bounds.append(col(Payment.paid_at) < until)
    return bounds


@dataclass(frozen=True)
class Backlogs:
    """What waits: updates not yet handled, messages not yet sent, and what was given up."""

    inbox_waiting: int
    inbox_parked: int
    outbox_unsent: int
    outbox_given_up: int


async def backlogs(session: AsyncSession) -> Backlogs:
    """The inbox and outbox backlogs, for `python -m bot status`."""
    inbox = select(InboxUpdate.status, func.count()).group_by(col(InboxUpdate.status))
    statuses = dict((await session.exec(inbox)).all())
    unsent = select(func.count()).where(
        col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None)
    )
    given_up = select(func.count()).where(col(OutboxMessage.failed_at).is_not(None))
    return Backlogs(
        inbox_waiting=statuses.get(InboxStatus.PENDING, 0),
        inbox_parked=statuses.get(InboxStatus.FAILED, 0),
        outbox_unsent=(await session.exec(unsent.select_from(OutboxMessage))).one(),
        outbox_given_up=(await session.exec(given_up.select_from(OutboxMessage))).one(),
    )
