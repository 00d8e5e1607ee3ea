"""Outbox priority (buyers' payment and refund notices first, then replies, then admin notices),
and support requests stored instead of held in memory.

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
telegram_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


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
    op.create_table(
        "support_requests",
        sa.Column("user_id", telegram_id, autoincrement=False, nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("support_requests")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "failed_at", "next_attempt_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("priority")
