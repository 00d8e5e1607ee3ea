"""Persistence: SQLModel tables on async SQLAlchemy, the engine, migrations, repositories and
the writer."""

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import SchemaError, upgrade_schema
from storage.models import (
    AUDIT_PRE_CHECKOUT,
    AuditEvent,
    Entitlement,
    InboxStatus,
    InboxUpdate,
    OutboxMessage,
    OutboxPriority,
    Payment,
    Refund,
    Subscription,
    SupportRequest,
    SyncState,
    utcnow,
)
from storage.repositories import (
    AuditRepository,
    InboxRepository,
    OutboxRepository,
    PaymentRepository,
    RefundRepository,
    SubscriptionRepository,
    SupportRepository,
    SyncStateRepository,
    add_audit_events,
    mark_inbox_done,
    mark_inbox_ignored,
)
from storage.retention import delete_expired
from storage.writer import Writer, WriterStopped, mark_changed

__all__ = [
    "AUDIT_PRE_CHECKOUT",
    "AuditEvent",
    "AuditRepository",
    "Entitlement",
    "InboxRepository",
    "InboxStatus",
    "InboxUpdate",
    "OutboxMessage",
    "OutboxPriority",
    "OutboxRepository",
    "Payment",
    "PaymentRepository",
    "Refund",
    "RefundRepository",
    "SchemaError",
    "SessionFactory",
    "Subscription",
    "SubscriptionRepository",
    "SupportRepository",
    "SupportRequest",
    "SyncState",
    "SyncStateRepository",
    "Writer",
    "WriterStopped",
    "add_audit_events",
    "create_engine",
    "create_session_factory",
    "delete_expired",
    "mark_changed",
    "mark_inbox_done",
    "mark_inbox_ignored",
    "upgrade_schema",
    "utcnow",
]
