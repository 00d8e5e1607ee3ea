"""Deleting what is kept only for a while (RETENTION_DAYS), a little at a time.

Deleted once older than the cutoff: outbox messages sent or given up, handled inbox rows of
pre-checkout queries, the audit rows of pre-checkout queries, and support requests nobody
touched since. Other handled inbox rows that are not payments (commands, messages, button
presses) go after HANDLED_UPDATES_KEPT (2 days) already: they serve only to know an update was
handled, while Telegram may still send it again. Kept forever, as the accounting record:
payments, refunds and grants, the audit rows of payments and refunds, the inbox rows of
payment updates, and inbox rows parked as failed (for a person to look at) or not handled yet.

Each step finds at most `chunk` rows on a read connection, then deletes them in one write
through the writer. The finding, which reads through a whole table when little has expired,
holds no lock the bot's writes wait for; each delete is short, and the bot's own writes go in
between. Each step goes on in key order from where the last one ended, so a table is read
through once, however many rows it keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import SessionFactory
from storage.models import (
    AUDIT_PRE_CHECKOUT,
    AuditEvent,
    InboxStatus,
    InboxUpdate,
    OutboxMessage,
    SupportRequest,
    utcnow,
)
from storage.update_kinds import PRE_CHECKOUT, is_payment_row
from storage.writer import Writer

RETENTION_CHUNK = 500
# Handled updates that are neither payments nor pre-checkouts are kept this long (or for
# RETENTION_DAYS if shorter): past Telegram's 24 h of redelivery, with a margin.
HANDLED_UPDATES_KEPT = timedelta(days=2)


@dataclass(frozen=True)
class _Expiring:
    table: str
    key: Any  # the primary key column: rows are chosen by it, `chunk` at a time
    expired: ColumnElement[bool]


def _expiring(cutoff: datetime, handled_cutoff: datetime) -> Sequence[_Expiring]:
    return (
        _Expiring(
            "outbox",
            col(OutboxMessage.id),
            or_(col(OutboxMessage.sent_at) < cutoff, col(OutboxMessage.failed_at) < cutoff),
        ),
        _Expiring(
            "inbox",
            col(InboxUpdate.id),
            and_(
                col(InboxUpdate.status) == InboxStatus.DONE,
                or_(
                    col(InboxUpdate.received_at) < cutoff,
                    and_(
                        col(InboxUpdate.received_at) < handled_cutoff,
                        col(InboxUpdate.kind) != PRE_CHECKOUT,
                    ),
                ),
                ~is_payment_row(),
            ),
        ),
        _Expiring(
            "audit_events",
            col(AuditEvent.id),
            and_(col(AuditEvent.kind) == AUDIT_PRE_CHECKOUT, col(AuditEvent.created_at) < cutoff),
        ),
        _Expiring(
            "support_requests",
            col(SupportRequest.user_id),
            col(SupportRequest.updated_at) < cutoff,
        ),
    )


async def delete_expired(
    writer: Writer,
    readers: SessionFactory,
    cutoff: datetime,
    *,
    now: datetime | None = None,
    chunk: int = RETENTION_CHUNK,
) -> dict[str, int]:
    """Delete the rows that expired before `cutoff` (see the module docstring), and handled
    updates (not payments nor pre-checkouts) older than HANDLED_UPDATES_KEPT, at most `chunk`
    per transaction; returns how many were deleted, by table."""
    handled_cutoff = max(cutoff, (now or utcnow()) - HANDLED_UPDATES_KEPT)
    return {
        e.table: await _delete_in_chunks(writer, readers, e, chunk)
        for e in _expiring(cutoff, handled_cutoff)
    }


async def _delete_in_chunks(
    writer: Writer, readers: SessionFactory, expiring: _Expiring, chunk: int
) -> int:
    total, after = 0, None
    while True:
        find = select(expiring.key).where(expiring.expired).order_by(expiring.key).limit(chunk)
        if after is not None:
            find = find.where(expiring.key > after)
        async with readers() as session:
            keys = list((await session.exec(find)).all())
        if not keys:
            return total

        async def delete_some(session: AsyncSession, keys: list[Any] = keys) -> int:
            # Expired is checked again: a row may have changed since it was found.
            statement = delete(expiring.key.table).where(expiring.key.in_(keys), expiring.expired)
            return int((await session.exec(statement)).rowcount)

        total += await writer.write(delete_some)
        if len(keys) < chunk:
            return total
        after = keys[-1]
