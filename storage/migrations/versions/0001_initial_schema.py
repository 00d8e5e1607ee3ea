"""The schema of the first release, which made its tables with SQLModel's create_all.

A database that release made has these tables and no alembic_version: the bot stamps it at this
revision instead of running it (see storage.migrate).

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Telegram user and chat ids: BIGINT on PostgreSQL; INTEGER (64-bit) as the release made it.
telegram_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("user_id", telegram_id, nullable=True),
        sa.Column("telegram_payment_charge_id", sa.String(), nullable=True),
        sa.Column("decision", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_events_kind", "audit_events", ["kind"])
    op.create_index(
        "ix_audit_events_telegram_payment_charge_id",
        "audit_events",
        ["telegram_payment_charge_id"],
    )
    op.create_table(
        "entitlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", telegram_id, nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("telegram_payment_charge_id", sa.String(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "telegram_payment_charge_id", "key", name="uq_entitlements_charge_key"
        ),
    )
    op.create_index(
        "ix_entitlements_telegram_payment_charge_id",
        "entitlements",
        ["telegram_payment_charge_id"],
    )
    op.create_index("ix_entitlements_user_key", "entitlements", ["user_id", "key"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", telegram_id, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply_markup", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "failed_at", "next_attempt_at"])
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_payment_charge_id", sa.String(), nullable=False),
        sa.Column("provider_payment_charge_id", sa.String(), nullable=True),
        sa.Column("user_id", telegram_id, nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("total_amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("invoice_payload", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "telegram_payment_charge_id", name="uq_payments_telegram_payment_charge_id"
        ),
    )
    op.create_index("ix_payments_user_id", "payments", ["user_id"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_payment_charge_id", sa.String(), nullable=False),
        sa.Column("user_id", telegram_id, nullable=False),
        sa.Column("total_amount", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("admin_id", telegram_id, nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "telegram_payment_charge_id", name="uq_refunds_telegram_payment_charge_id"
        ),
    )
    op.create_table(
        "sync_state",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for table in ("sync_state", "refunds", "payments", "outbox", "entitlements", "audit_events"):
        op.drop_table(table)
