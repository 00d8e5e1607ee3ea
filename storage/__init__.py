"""Persistence: SQLModel tables on async SQLAlchemy, the engine, migrations, repositories."""

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import SchemaError, upgrade_schema
from storage.models import (
    AuditEvent,
    Entitlement,
    OutboxMessage,
    Payment,
    Refund,
    SyncState,
    utcnow,
)
from storage.repositories import (
    AuditRepository,
    OutboxRepository,
    PaymentRepository,
    RefundRepository,
    SyncStateRepository,
)

__all__ = [
    "AuditEvent",
    "AuditRepository",
    "Entitlement",
    "OutboxMessage",
    "OutboxRepository",
    "Payment",
    "PaymentRepository",
    "Refund",
    "RefundRepository",
    "SchemaError",
    "SessionFactory",
    "SyncState",
    "SyncStateRepository",
    "create_engine",
    "create_session_factory",
    "upgrade_schema",
    "utcnow",
]
