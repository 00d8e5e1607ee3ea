"""SQLModel tables: Telegram's field names, UTC timestamps, amounts in whole Stars."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, as an aware UTC datetime: what every timestamp column takes."""
    return datetime.now(UTC)


# Telegram's user and chat ids need up to 52 bits: BIGINT on PostgreSQL, whose INTEGER has 32.
# SQLite's INTEGER holds 64 bits already, and keeps the DDL that existing databases have.
TelegramId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime; SQLite keeps no zone, so store naive UTC and restore the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """To the database: refuses a naive datetime rather than guess its zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        utc = value.astimezone(UTC)
        # PostgreSQL's timestamptz takes the zone; a naive value would be read as local time.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """From the database: always aware, in UTC."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


def _one_row_per_charge(table: str) -> tuple[UniqueConstraint]:
    """The named unique constraint by which the database keeps one row of `table` per charge:
    inserting a charge again is a conflict, and the insert treats it as "already there"."""
    name = f"uq_{table}_telegram_payment_charge_id"
    return (UniqueConstraint("telegram_payment_charge_id", name=name),)


class Payment(SQLModel, table=True):
    """A Stars payment Telegram reported, stored once per telegram_payment_charge_id."""

    __tablename__ = "payments"
    __table_args__ = _one_row_per_charge("payments")

    id: int | None = Field(default=None, primary_key=True)
    telegram_payment_charge_id: str
    provider_payment_charge_id: str | None = None
    user_id: int = Field(sa_type=TelegramId, index=True)
    product_id: str
    total_amount: int
    currency: str
    invoice_payload: str
    # "update" when the successful_payment message reached us, "reconcile" when found later.
    source: str = "update"
    paid_at: datetime = timestamp()
    recorded_at: datetime = timestamp()
    # A subscription's payment names the subscription by its first charge (its own id on the
    # first payment, see `Subscription`); None for any other payment.
    subscription_charge_id: str | None = Field(default=None, index=True)
    # A subscription's payment: when the period it paid for ends (Telegram's field).
    subscription_expiration_date: datetime | None = timestamp(nullable=True)

    # Telegram's flags, which follow from the link to the first charge.
    @property
    def is_recurring(self) -> bool:
        """A subscription's payment, the first or a renewal."""
        return self.subscription_charge_id is not None

    @property
    def is_first_recurring(self) -> bool:
        """The payment that started a subscription."""
        return self.subscription_charge_id == self.telegram_payment_charge_id


class Subscription(SQLModel, table=True):
    """A Stars subscription, keyed by its first charge; each renewal is a `Payment` naming it.

    Telegram is asked about a subscription with the id of its first charge
    (editUserStarSubscription), and every renewal carries the first payment's invoice payload,
    which is how a renewal finds its subscription (with `user_id`); a renewal buys `product_id`,
    as stored here, so that its payload's signature is not checked again. Access is in
    `Entitlement` rows, one per paid period, like any payment's.
    """

    __tablename__ = "subscriptions"
    __table_args__ = _one_row_per_charge("subscriptions")

    id: int | None = Field(default=None, primary_key=True)
    telegram_payment_charge_id: str  # the first payment's
    user_id: int = Field(sa_type=TelegramId, index=True)
    product_id: str
    invoice_payload: str
    # When the latest paid period ends: Telegram charges the next renewal then.
    subscription_expiration_date: datetime = timestamp()
    # The bot cancelled the renewal (the buyer's Cancel, or a refund of the first charge). A
    # cancellation made inside Telegram is not reported to bots: it shows as no renewal.
    is_canceled: bool = False
    # Set when a refund ended the paid period early and the renewal is cancelled: the
    # subscription is over although its expiration date is still ahead.
    ended_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class Refund(SQLModel, table=True):
    """A refund of one payment; at most one per charge."""

    __tablename__ = "refunds"
    __table_args__ = _one_row_per_charge("refunds")

    id: int | None = Field(default=None, primary_key=True)
    telegram_payment_charge_id: str
    user_id: int = Field(sa_type=TelegramId)
    total_amount: int
    # "admin" (/refund), "telegram" (a refunded_payment message), "reconcile" (found later),
    # "elsewhere" (Telegram answered CHARGE_ALREADY_REFUNDED to an admin's /refund).
    source: str
    admin_id: int | None = Field(default=None, sa_type=TelegramId)
    reason: str | None = None
    refunded_at: datetime = timestamp()


class Entitlement(SQLModel, table=True):
    """One key granted to a user by one charge, active from starts_at until expires_at."""

    __tablename__ = "entitlements"
    __table_args__ = (
        UniqueConstraint("telegram_payment_charge_id", "key", name="uq_entitlements_charge_key"),
        Index("ix_entitlements_user_key", "user_id", "key"),
        Index("ix_entitlements_expires_at", "expires_at"),  # reminders: what ends soon
        Index("ix_entitlements_revoked_at", "revoked_at"),  # access: what was revoked lately
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_type=TelegramId)
    key: str
    telegram_payment_charge_id: str = Field(index=True)
    starts_at: datetime = timestamp()
    expires_at: datetime | None = timestamp(nullable=True)
    granted_at: datetime = timestamp()
    revoked_at: datetime | None = timestamp(nullable=True)


# The audit kind of a pre-checkout decision: kept for RETENTION_DAYS, unlike those of payments.
AUDIT_PRE_CHECKOUT = "pre_checkout_query"


class AuditEvent(SQLModel, table=True):
    """The raw JSON of a payment-related update, or a decision the bot took on one."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    user_id: int | None = Field(default=None, sa_type=TelegramId)
    telegram_payment_charge_id: str | None = Field(default=None, index=True)
    decision: str | None = None
    reason: str | None = None
    raw: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = timestamp()


class OutboxPriority(IntEnum):
    """Which owed messages are sent first: the lowest value, then the oldest."""

    PAYMENT_NOTICE = 0  # a buyer's payment confirmation or refund notice
    REPLY = 1  # an answer to something a user asked
    ADMIN_NOTICE = 2  # a notice to an admin (support requests, payments to refund)
    REMINDER = 3  # "your access ends tomorrow": useful a day ahead, never urgent


# The messages not yet sent nor given up: the rows the sender reads, in its order.
OUTBOX_UNSENT = "sent_at IS NULL AND failed_at IS NULL"


class OutboxMessage(SQLModel, table=True):
    """A message the bot owes a user, written with the state change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        # Partial: the sent rows, nearly all of them, are not in it.
        Index(
            "ix_outbox_due",
            "priority",
            "id",
            sqlite_where=text(OUTBOX_UNSENT),
            postgresql_where=text(OUTBOX_UNSENT),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=TelegramId)
    # An OutboxPriority, which every caller chooses. The server default is only for the rows
    # that existed before it (migration 0003 sets those that were still owed by their kind).
    priority: int = Field(sa_column_kwargs={"server_default": "1"})
    text: str = Field(sa_column=Column(Text, nullable=False))
    reply_markup: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # A file of the catalog to send (its absolute path), with `text` as its caption (empty:
    # none).
    document: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Telegram keeps the buyer from forwarding or saving what the bot sold them.
    protect_content: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Makes "queue this notice" idempotent when the same event is handled twice.
    dedupe_key: str | None = None
    attempts: int = 0
    created_at: datetime = timestamp()
    next_attempt_at: datetime = timestamp()
    sent_at: datetime | None = timestamp(nullable=True)
    failed_at: datetime | None = timestamp(nullable=True)
    last_error: str | None = None


class SyncState(SQLModel, table=True):
    """Small named counters, such as how many Star transactions reconciliation has seen."""

    __tablename__ = "sync_state"

    name: str = Field(primary_key=True)
    value: int = 0


class InboxStatus(StrEnum):
    """How far handling a stored update got."""

    PENDING = "pending"  # stored, not yet handled (or waiting for a retry)
    DONE = "done"  # handled; a pre-checkout query is stored done, for the audit only
    FAILED = "failed"  # parked after its retries, kept with its JSON for a person to look at


class InboxUpdate(SQLModel, table=True):
    """An update as Telegram sent it, stored before Telegram is told it arrived.

    Rows are keyed by their own `id`, in the order they were stored: Telegram starts update_id
    again at a random value after a week without updates, so one update_id may name two
    updates. The same update_id with the same content (`digest`) is the same update, sent
    again, and is stored once.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("update_id", "digest", name="uq_inbox_update_digest"),
        Index("ix_inbox_status_id", "status", "id"),
        # What a claim asks: which chats have pending rows (see InboxRepository.claim).
        Index(
            "ix_inbox_pending_chat",
            "chat_id",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    # 64 bits on PostgreSQL too: every update takes one.
    id: int | None = Field(default=None, primary_key=True, sa_type=TelegramId)
    update_id: int = Field(sa_type=TelegramId)
    # sha256 of `raw` as first stored, in hex: tells a redelivery from a new update.
    digest: str
    kind: str  # which field of Update it carries: message, callback_query, ...
    # Updates of one chat are handled in order; None: handled on its own.
    chat_id: int | None = Field(default=None, sa_type=TelegramId)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    status: str = InboxStatus.PENDING  # an InboxStatus
    attempts: int = 0
    received_at: datetime = timestamp()
    finished_at: datetime | None = timestamp(nullable=True)
    last_error: str | None = None
    # PostgreSQL, several processes: the process handling it (`storage.claims.process_id`),
    # until when (its lease; the database's clock). Unset on SQLite, where one process runs.
    claimed_by: str | None = None
    claimed_until: datetime | None = timestamp(nullable=True)


class SupportRequest(SQLModel, table=True):
    """A buyer's payment-support request: one per buyer, the latest, kept for RETENTION_DAYS.

    It also holds the conversation's state: `asked_at` is set while /paysupport waits for the
    buyer's description, so that a restart in between loses nothing.
    """

    __tablename__ = "support_requests"

    user_id: int = Field(
        primary_key=True, sa_type=TelegramId, sa_column_kwargs={"autoincrement": False}
    )
    # When /paysupport asked for a description, until the buyer sends one or cancels.
    asked_at: datetime | None = timestamp(nullable=True)
    # When the request last went to the admins; None: never.
    opened_at: datetime | None = timestamp(nullable=True)
    # What the buyer wrote, with what they added while it was open.
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = timestamp()


class KnownUser(SQLModel, table=True):
    """A Telegram user the bot has heard from, so that an admin can find them by @username."""

    __tablename__ = "users"

    user_id: int = Field(
        primary_key=True, sa_type=TelegramId, sa_column_kwargs={"autoincrement": False}
    )
    # Lower case (Telegram's usernames are case-insensitive); None for a user without one.
    username: str | None = Field(default=None, index=True)
    full_name: str
    # When this name was last stored: of two users who held one username, the later one has it.
    updated_at: datetime = timestamp()
    # The language they chose with /language; None: never chose.
    language: str | None = None
    # Their Telegram app's language (IETF tag, e.g. "ru" or "pt-br") when last heard from.
    language_code: str | None = None
