"""Repositories add and query; the service that owns a business step commits it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AuditEvent,
    Entitlement,
    OutboxMessage,
    Payment,
    Refund,
    SyncState,
    utcnow,
)


def _insert(session: AsyncSession, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


async def insert_ignoring_conflict(session: AsyncSession, row: SQLModel) -> bool:
    """Insert `row`; False if a unique constraint says it is already there (a normal outcome)."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if getattr(row, column.name) is not None
    }
    statement = _insert(session, table).values(**values).on_conflict_do_nothing()
    result = await session.exec(statement)
    return bool(result.rowcount)


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, payment: Payment) -> bool:
        """Store a payment; False when this telegram_payment_charge_id is already stored."""
        return await insert_ignoring_conflict(self.session, payment)

    async def get(self, telegram_payment_charge_id: str) -> Payment | None:
        statement = select(Payment).where(
            Payment.telegram_payment_charge_id == telegram_payment_charge_id
        )
        return (await self.session.exec(statement)).first()

    async def get_by_id(self, payment_id: int) -> Payment | None:
        """By row id: what a button names, since a charge id may not fit in its 64 bytes."""
        return await self.session.get(Payment, payment_id)

    async def list_for_user(self, user_id: int, limit: int = 10) -> Sequence[Payment]:
        """The user's most recent payments, newest first."""
        statement = (
            select(Payment)
            .where(Payment.user_id == user_id)
            .order_by(col(Payment.paid_at).desc(), col(Payment.id).desc())
            .limit(limit)
        )
        return (await self.session.exec(statement)).all()

    async def count(self) -> int:
        statement = select(func.count()).select_from(Payment)
        return int((await self.session.exec(statement)).one())

    async def first_ungranted(self, user_id: int, product_id: str) -> Payment | None:
        """The user's oldest payment for `product_id` that is not refunded and granted nothing."""
        charge = col(Payment.telegram_payment_charge_id)
        refunded = select(Refund.id).where(col(Refund.telegram_payment_charge_id) == charge)
        granted = select(Entitlement.id).where(
            col(Entitlement.telegram_payment_charge_id) == charge
        )
        statement = (
            select(Payment)
            .where(
                Payment.user_id == user_id,
                Payment.product_id == product_id,
                ~refunded.exists(),
                ~granted.exists(),
            )
            .order_by(col(Payment.paid_at), col(Payment.id))
            .limit(1)
        )
        return (await self.session.exec(statement)).first()


class RefundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, refund: Refund) -> bool:
        """Store a refund; False when this charge already has one."""
        return await insert_ignoring_conflict(self.session, refund)

    async def get(self, telegram_payment_charge_id: str) -> Refund | None:
        statement = select(Refund).where(
            Refund.telegram_payment_charge_id == telegram_payment_charge_id
        )
        return (await self.session.exec(statement)).first()

    async def refunded_among(self, charge_ids: Sequence[str]) -> dict[str, Refund]:
        """The refunds of those charges that have one, by charge id."""
        if not charge_ids:
            return {}
        statement = select(Refund).where(col(Refund.telegram_payment_charge_id).in_(charge_ids))
        return {r.telegram_payment_charge_id: r for r in (await self.session.exec(statement))}


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        kind: str,
        raw: dict[str, Any] | str,
        *,
        user_id: int | None = None,
        telegram_payment_charge_id: str | None = None,
        decision: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Keep the raw JSON of an update, or of a decision, with what it was about."""
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        self.session.add(
            AuditEvent(
                kind=kind,
                raw=text,
                user_id=user_id,
                telegram_payment_charge_id=telegram_payment_charge_id,
                decision=decision,
                reason=reason,
                created_at=utcnow(),
            )
        )

    async def list(self, kind: str | None = None) -> Sequence[AuditEvent]:
        statement = select(AuditEvent).order_by(col(AuditEvent.id))
        if kind is not None:
            statement = statement.where(AuditEvent.kind == kind)
        return (await self.session.exec(statement)).all()


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def queue(
        self,
        chat_id: int,
        text: str,
        *,
        reply_markup: str | None = None,
        dedupe_key: str | None = None,
    ) -> bool:
        """Owe `chat_id` a message; False if a message with this dedupe_key is already owed."""
        now = utcnow()
        message = OutboxMessage(
            chat_id=chat_id,
            text=text,
            reply_markup=reply_markup,
            dedupe_key=dedupe_key,
            created_at=now,
            next_attempt_at=now,
        )
        return await insert_ignoring_conflict(self.session, message)

    async def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        """Unsent, not given up, due by `now`, in the order they were queued."""
        statement = (
            select(OutboxMessage)
            .where(
                col(OutboxMessage.sent_at).is_(None),
                col(OutboxMessage.failed_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
            )
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        return (await self.session.exec(statement)).all()

    async def mark_sent(self, message_id: int) -> None:
        await self._set(message_id, sent_at=utcnow())

    async def retry_later(self, message_id: int, at: datetime, error: str) -> None:
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
        await self._set(message_id, failed_at=utcnow(), last_error=error)

    async def _set(self, message_id: int, **values: Any) -> None:
        statement = update(OutboxMessage).where(col(OutboxMessage.id) == message_id)
        await self.session.exec(statement.values(**values))

    async def all_for(self, chat_id: int) -> Sequence[OutboxMessage]:
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id)
            .order_by(col(OutboxMessage.id))
        )
        return (await self.session.exec(statement)).all()


class SyncStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> int:
        """The counter's value, 0 until it is first set."""
        statement = select(SyncState.value).where(SyncState.name == name)
        value = (await self.session.exec(statement)).first()
        return value if value is not None else 0

    async def set(self, name: str, value: int) -> None:
        """Store `value` under `name` in one statement, whether or not the name is there yet."""
        table = SyncState.__table__  # type: ignore[attr-defined]
        statement = _insert(self.session, table).values(name=name, value=value)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.name], set_={"value": value}
        )
        await self.session.exec(statement)
