"""Repositories add and query; the service that owns a business step commits it.

One module per thing kept; every name is importable from here, as it was from the single
module this package replaced."""

from storage.repositories.audit import AuditRepository, add_audit_events, audit_row
from storage.repositories.base import (
    Repository,
    Row,
    first_where,
    insert_ignoring_conflict,
    insert_many_ignoring_conflict,
    insert_or_update,
    insert_statement,
)
from storage.repositories.files import TelegramFileRepository
from storage.repositories.inbox import (
    InboxRepository,
    inbox_row,
    mark_inbox_done,
    mark_inbox_ignored,
    record_inbox_rows,
)
from storage.repositories.outbox import (
    OUTBOX_CHANGED,
    OutboxRepository,
    most_urgent,
    outbox_row,
)
from storage.repositories.owed_refunds import (
    REFUNDS_OWED,
    OwedRefundRepository,
    owed_refund_row,
)
from storage.repositories.payments import (
    PaidPeriod,
    PaymentRepository,
    RefundRepository,
    latest_paid_periods,
)
from storage.repositories.stock import STOCK_RETURNED, StockCount, StockRepository
from storage.repositories.subscriptions import SubscriptionRepository
from storage.repositories.support import SupportRepository
from storage.repositories.sync_state import SyncStateRepository
from storage.repositories.users import (
    UserRepository,
    normalize_username,
    remember_users,
    user_row,
)

__all__ = [
    "OUTBOX_CHANGED",
    "REFUNDS_OWED",
    "STOCK_RETURNED",
    "AuditRepository",
    "InboxRepository",
    "OutboxRepository",
    "OwedRefundRepository",
    "PaidPeriod",
    "PaymentRepository",
    "RefundRepository",
    "Repository",
    "Row",
    "StockCount",
    "StockRepository",
    "SubscriptionRepository",
    "SupportRepository",
    "SyncStateRepository",
    "TelegramFileRepository",
    "UserRepository",
    "add_audit_events",
    "audit_row",
    "first_where",
    "inbox_row",
    "insert_ignoring_conflict",
    "insert_many_ignoring_conflict",
    "insert_or_update",
    "insert_statement",
    "latest_paid_periods",
    "mark_inbox_done",
    "mark_inbox_ignored",
    "most_urgent",
    "normalize_username",
    "outbox_row",
    "owed_refund_row",
    "record_inbox_rows",
    "remember_users",
    "user_row",
]
