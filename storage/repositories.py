"""Repositories add and query; the service that owns a business step commits it."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, func, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AuditEvent,
    Entitlement,
    InboxStatus,
    InboxUpdate,
    KnownUser,
    OutboxMessage,
    OutboxPriority,
    Payment,
    Refund,
    Subscription,
    SupportRequest,
    SyncState,
    utcnow,
)
from storage.writer import mark_changed


def _insert(session: AsyncSession, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike).
    The dialect module is loaded when first used: a bot on SQLite never loads PostgreSQL's."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(table)


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


async def insert_many_ignoring_conflict(
    session: AsyncSession, table: Table, rows: Sequence[Row], *returning: Column[Any]
) -> list[tuple[Any, ...]]:
    """Insert `rows` in one statement; returns the `returning` columns of those that were new
    (the others hit a unique constraint, a normal outcome)."""
    if not rows:
        return []
    statement = _insert(session, table).on_conflict_do_nothing().returning(*returning)
    result = await session.exec(statement, params=list(rows))
    return [tuple(row) for row in result.all()]


# A table row as a plain dict, for Core inserts of many at once: building one costs a fraction
# of a model object, which matters on the payment path.
Row = dict[str, Any]


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


class SubscriptionRepository:
    """Stars subscriptions, each keyed by its first charge (see `Subscription`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, telegram_payment_charge_id: str) -> Subscription | None:
        """By the charge id of its first payment."""
        statement = (
            select(Subscription)
            .where(Subscription.telegram_payment_charge_id == telegram_payment_charge_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.exec(statement)).first()

    async def get_by_id(self, subscription_id: int) -> Subscription | None:
        """By row id: what a button names, since a charge id may not fit in its 64 bytes."""
        return await self.session.get(Subscription, subscription_id, populate_existing=True)

    async def list_for_user(self, user_id: int) -> Sequence[Subscription]:
        """The user's subscriptions, the newest first."""
        statement = (
            select(Subscription)
            .where(Subscription.user_id == user_id)
            .order_by(col(Subscription.id).desc())
        )
        return (await self.session.exec(statement)).all()

    async def latest_for_payloads(
        self, pairs: set[tuple[int, str]]
    ) -> dict[tuple[int, str], Subscription]:
        """The newest subscription of each (user_id, invoice_payload) that has one: every
        renewal carries its first payment's payload."""
        if not pairs:
            return {}
        statement = (
            select(Subscription)
            .where(
                col(Subscription.user_id).in_({user for user, _ in pairs}),
                col(Subscription.invoice_payload).in_({payload for _, payload in pairs}),
            )
            .order_by(col(Subscription.id))
        )
        found = {(s.user_id, s.invoice_payload): s for s in (await self.session.exec(statement))}
        return {pair: subscription for pair, subscription in found.items() if pair in pairs}

    async def running_products(
        self, user_ids: Iterable[int], product_ids: Iterable[str], now: datetime
    ) -> dict[int, set[str]]:
        """Which of `product_ids` each of `user_ids` has a subscription to that has not ended
        (cancelled or not); users with none are left out."""
        users, products = set(user_ids), set(product_ids)
        if not users or not products:
            return {}
        statement = select(Subscription.user_id, Subscription.product_id).where(
            col(Subscription.user_id).in_(users),
            col(Subscription.product_id).in_(products),
            col(Subscription.ended_at).is_(None),
            col(Subscription.subscription_expiration_date) > now,
        )
        running: dict[int, set[str]] = {}
        for user_id, product_id in (await self.session.exec(statement)).all():
            running.setdefault(user_id, set()).add(product_id)
        return running

    async def by_first_charges(self, charge_ids: Iterable[str]) -> dict[str, Subscription]:
        wanted = set(charge_ids)
        if not wanted:
            return {}
        statement = select(Subscription).where(
            col(Subscription.telegram_payment_charge_id).in_(wanted)
        )
        return {s.telegram_payment_charge_id: s for s in (await self.session.exec(statement))}

    async def extend(self, subscription_id: int, expiration: datetime, now: datetime) -> None:
        """A renewal was paid: the subscription runs to `expiration` (never earlier)."""
        statement = (
            update(Subscription)
            .where(
                col(Subscription.id) == subscription_id,
                col(Subscription.subscription_expiration_date) < expiration,
            )
            .values(subscription_expiration_date=expiration, updated_at=now)
        )
        await self.session.exec(statement)

    async def set_canceled(
        self, subscription_id: int, is_canceled: bool, now: datetime, *, ended: bool = False
    ) -> None:
        """Record what Telegram did to the renewal; `ended`: a refund also ended the period."""
        values: dict[str, Any] = {"is_canceled": is_canceled, "updated_at": now}
        if ended:
            values["ended_at"] = now
        statement = update(Subscription).where(col(Subscription.id) == subscription_id)
        await self.session.exec(statement.values(**values))


@dataclass(frozen=True)
class PaidPeriod:
    """The latest period a user holds through payments for one product."""

    user_id: int
    product_id: str
    telegram_payment_charge_id: str
    subscription_charge_id: str | None
    expires_at: datetime


async def latest_paid_periods(
    session: AsyncSession, product_ids: Iterable[str], now: datetime, ending_by: datetime
) -> list[PaidPeriod]:
    """For each user and each of `product_ids` they hold through a payment now, whose paid
    access ends by `ending_by`: the payment whose period ends last (not refunded), and that end.

    Only buyers with a grant ending between `now` and `ending_by` are read (by the index on
    when grants end), not everyone who holds one: a shop's running grants may be many."""
    products = set(product_ids)
    if not products:
        return []
    joined = col(Entitlement.telegram_payment_charge_id) == col(Payment.telegram_payment_charge_id)
    running = [
        col(Payment.product_id).in_(products),
        col(Entitlement.revoked_at).is_(None),
        col(Entitlement.expires_at) > now,
    ]
    ending_soon = (
        select(Entitlement.user_id)
        .join(Payment, joined)
        .where(*running, col(Entitlement.expires_at) <= ending_by)
    )
    statement = (
        select(
            col(Payment.user_id),
            col(Payment.product_id),
            col(Payment.telegram_payment_charge_id),
            col(Payment.subscription_charge_id),
        )
        .add_columns(func.max(Entitlement.expires_at))  # select() takes at most four
        .join(Entitlement, joined)
        .where(*running, col(Payment.user_id).in_(ending_soon))
        .group_by(col(Payment.id))  # one payment: PostgreSQL allows its other columns
    )
    rows = await session.exec(statement)  # type: ignore[call-overload]  # five columns
    latest: dict[tuple[int, str], PaidPeriod] = {}
    for user_id, product_id, charge_id, subscription_charge_id, end in rows.all():
        assert end is not None  # only periods with an end are selected
        known = latest.get((user_id, product_id))
        if known is None or end > known.expires_at:
            latest[user_id, product_id] = PaidPeriod(
                user_id, product_id, charge_id, subscription_charge_id, end
            )
    return [period for period in latest.values() if period.expires_at <= ending_by]


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


def audit_row(
    kind: str,
    raw: dict[str, Any] | str,
    *,
    user_id: int | None = None,
    telegram_payment_charge_id: str | None = None,
    decision: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> Row:
    """An audit event as a row: the raw JSON of an update, or a decision, with what it was
    about."""
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    return {
        "kind": kind,
        "raw": text,
        "user_id": user_id,
        "telegram_payment_charge_id": telegram_payment_charge_id,
        "decision": decision,
        "reason": reason,
        "created_at": now or utcnow(),
    }


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
        row = audit_row(
            kind,
            raw,
            user_id=user_id,
            telegram_payment_charge_id=telegram_payment_charge_id,
            decision=decision,
            reason=reason,
        )
        self.session.add(AuditEvent(**row))

    async def add_many(self, rows: Sequence[Row]) -> None:
        """Keep many events (built by `audit_row`) in one statement."""
        if rows:
            table = AuditEvent.__table__  # type: ignore[attr-defined]
            await self.session.exec(_insert(self.session, table), params=list(rows))

    async def list(self, kind: str | None = None) -> Sequence[AuditEvent]:
        statement = select(AuditEvent).order_by(col(AuditEvent.id))
        if kind is not None:
            statement = statement.where(AuditEvent.kind == kind)
        return (await self.session.exec(statement)).all()


def outbox_row(
    chat_id: int,
    text: str,
    *,
    priority: OutboxPriority,
    dedupe_key: str | None = None,
    reply_markup: str | None = None,
    now: datetime | None = None,
) -> Row:
    """A message owed to `chat_id`, due now, as a row for `OutboxRepository.queue_many`."""
    now = now or utcnow()
    return {
        "chat_id": chat_id,
        "priority": priority,
        "text": text,
        "reply_markup": reply_markup,
        "dedupe_key": dedupe_key,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


# What the writer reports after a commit that queued messages: the sender wakes up.
OUTBOX_CHANGED = "outbox"


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def queue(
        self,
        chat_id: int,
        text: str,
        *,
        priority: OutboxPriority,
        reply_markup: str | None = None,
        dedupe_key: str | None = None,
    ) -> bool:
        """Owe `chat_id` a message; False if a message with this dedupe_key is already owed."""
        row = outbox_row(
            chat_id, text, priority=priority, reply_markup=reply_markup, dedupe_key=dedupe_key
        )
        return await self.queue_many([row]) == 1

    async def queue_many(self, rows: Sequence[Row]) -> int:
        """Owe many messages (built by `outbox_row`) in one statement; returns how many were
        new (a message with the same dedupe_key owed before is not owed twice)."""
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        added = await insert_many_ignoring_conflict(self.session, table, rows, table.c.id)
        if added:
            mark_changed(self.session, OUTBOX_CHANGED)
        return len(added)

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[OutboxMessage]:
        """Take up to `limit` messages due by `now` to send: unsent, not given up, the most
        urgent first (see OutboxPriority), then in the order they were queued.

        A claimed message is not due again until `lease_until` (or until `release`), so that two
        senders never send one message twice: on PostgreSQL the rows another sender is claiming
        at the same moment are skipped (FOR UPDATE SKIP LOCKED), not waited for. If the sender
        dies with it, the message is due again when the lease ends.
        """
        due = (
            select(OutboxMessage.id)
            .where(
                col(OutboxMessage.sent_at).is_(None),
                col(OutboxMessage.failed_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
            )
            .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(due.scalar_subquery()))
            .values(next_attempt_at=lease_until)
            .returning(OutboxMessage)
        )
        claimed = (await self.session.exec(statement)).scalars().all()
        return sorted(claimed, key=lambda m: (m.priority, m.id))

    async def release(self, message_ids: Sequence[int], now: datetime) -> None:
        """Give claimed messages back unsent: due again at once."""
        statement = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(message_ids), col(OutboxMessage.sent_at).is_(None))
            .values(next_attempt_at=now)
        )
        await self.session.exec(statement)

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


class SupportRepository:
    """Each buyer's latest support request (see `SupportRequest`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> SupportRequest | None:
        # Read afresh: an earlier write in this transaction may have changed the row.
        statement = (
            select(SupportRequest)
            .where(SupportRequest.user_id == user_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.exec(statement)).first()

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
        statement = _insert(self.session, table).values(user_id=user_id, description="")
        statement = statement.values(**values).on_conflict_do_update(
            index_elements=[table.c.user_id],
            set_={name: statement.excluded[name] for name in values},
        )
        await self.session.exec(statement)

    async def _update(self, user_id: int, *, only_if_asked: bool = False, **values: Any) -> bool:
        statement = update(SupportRequest).where(col(SupportRequest.user_id) == user_id)
        if only_if_asked:
            statement = statement.where(col(SupportRequest.asked_at).is_not(None))
        result = await self.session.exec(statement.values(**values))
        return bool(result.rowcount)


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


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        statement = select(func.count()).select_from(InboxUpdate)
        statement = statement.where(InboxUpdate.status == status)
        return int((await self.session.exec(statement)).one())


async def mark_inbox_done(session: AsyncSession, update_ids: Sequence[int]) -> list[None]:
    """Batch function for the writer: many handled updates, one statement."""
    await InboxRepository(session).mark_done(update_ids)
    return [None] * len(update_ids)


async def add_audit_events(session: AsyncSession, rows: Sequence[Row]) -> list[None]:
    """Batch function for the writer: many audit events (pre-checkout decisions), one statement."""
    await AuditRepository(session).add_many(rows)
    return [None] * len(rows)


# -- users the bot has heard from, to find a buyer by @username ----------------------------


def normalize_username(username: str) -> str:
    """Telegram's usernames are case-insensitive and written with or without the @."""
    return username.strip().removeprefix("@").lower()


def user_row(
    user_id: int, username: str | None, full_name: str, *, now: datetime | None = None
) -> Row:
    """A user as last seen, as a row for `remember_users`."""
    return {
        "user_id": user_id,
        "username": normalize_username(username) if username else None,
        "full_name": full_name,
        "updated_at": now or utcnow(),
    }


async def remember_users(session: AsyncSession, rows: Sequence[Row]) -> list[None]:
    """Batch function for the writer: store each user's current username and name."""
    # One statement may not update a row twice (PostgreSQL refuses): the last sighting wins.
    latest = list({row["user_id"]: row for row in rows}.values())
    table = KnownUser.__table__  # type: ignore[attr-defined]
    statement = _insert(session, table).values(latest)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={name: statement.excluded[name] for name in ("username", "full_name", "updated_at")},
    )
    await session.exec(statement)
    return [None] * len(rows)


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> KnownUser | None:
        return await self.session.get(KnownUser, user_id)

    async def find_by_username(self, username: str) -> KnownUser | None:
        """The user who last had `username` (with or without @, any case) when the bot heard
        from them; None if nobody with it has written to the bot."""
        statement = (
            select(KnownUser)
            .where(KnownUser.username == normalize_username(username))
            .order_by(col(KnownUser.updated_at).desc())
            .limit(1)
        )
        return (await self.session.exec(statement)).first()
