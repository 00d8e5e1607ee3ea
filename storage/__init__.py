"""Persistence: SQLModel tables on async SQLAlchemy, the engine, and repositories."""

from storage.db import SessionFactory, create_engine, create_schema, create_session_factory
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
    "SessionFactory",
    "SyncState",
    "SyncStateRepository",
    "create_engine",
    "create_schema",
    "create_session_factory",
    "utcnow",
]
