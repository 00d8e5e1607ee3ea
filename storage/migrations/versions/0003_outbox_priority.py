"""Outbox priority: payment and refund notices to buyers first, then replies, then admin notices.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UNSENT = "sent_at IS NULL AND failed_at IS NULL"


def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("priority", sa.Integer(), nullable=False, server_default="1")
    )
    # Messages still owed keep their place among the new ones: their dedupe_key says what they
    # are (0: a buyer's payment or refund notice, 2: an admin's notice; see OutboxPriority).
    op.execute(
        "UPDATE outbox SET priority = CASE "
        "WHEN dedupe_key LIKE 'payment:%' OR dedupe_key LIKE 'refund:%' THEN 0 "
        "WHEN dedupe_key LIKE 'payment-alert:%' OR dedupe_key LIKE 'support:%' THEN 2 "
        f"ELSE 1 END WHERE {UNSENT}"
    )
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["priority", "id"],
        sqlite_where=sa.text(UNSENT),
        postgresql_where=sa.text(UNSENT),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "failed_at", "next_attempt_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("priority")
