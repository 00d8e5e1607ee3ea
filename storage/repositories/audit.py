"""Audit events: the raw JSON of an update, or a decision, with what it was about."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent, utcnow
from storage.repositories.base import Repository, Row, insert_statement


class About(TypedDict, total=False):
    """What an audit event was about; each is None when not given."""

    user_id: int | None
    telegram_payment_charge_id: str | None
    decision: str | None
    reason: str | None


def audit_row(
    kind: str, raw: dict[str, Any] | str, *, now: datetime | None = None, **about: Unpack[About]
) -> Row:
    """An audit event as a row: the raw JSON of an update, or a decision, with what it was
    about."""
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    return {
        "kind": kind,
        "raw": text,
        "user_id": about.get("user_id"),
        "telegram_payment_charge_id": about.get("telegram_payment_charge_id"),
        "decision": about.get("decision"),
        "reason": about.get("reason"),
        "created_at": now or utcnow(),
    }


class AuditRepository(Repository):
    """The audit trail, oldest first."""

    def add(self, kind: str, raw: dict[str, Any] | str, **about: Unpack[About]) -> None:
        """Keep the raw JSON of an update, or of a decision, with what it was about."""
        self.session.add(AuditEvent(**audit_row(kind, raw, **about)))

    async def add_many(self, rows: Sequence[Row]) -> None:
        """Keep many events (built by `audit_row`) in one statement."""
        if rows:
            table = AuditEvent.__table__  # type: ignore[attr-defined]
            await self.session.exec(insert_statement(self.session, table), params=list(rows))

    async def list(self, kind: str | None = None) -> Sequence[AuditEvent]:
        """The events (of `kind`, if given) in the order they were kept."""
        statement = select(AuditEvent).order_by(col(AuditEvent.id))
        if kind is not None:
            statement = statement.where(AuditEvent.kind == kind)
        return (await self.session.exec(statement)).all()


async def add_audit_events(session: AsyncSession, rows: Sequence[Row]) -> list[None]:
    """Batch function for the writer: many audit events (pre-checkout decisions), one statement."""
    await AuditRepository(session).add_many(rows)
    return [None] * len(rows)
