"""Stars subscriptions: a table keyed by each subscription's first charge, and on payments the
subscription a payment is for and the end of the period it paid for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

telegram_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("subscription_charge_id", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("subscription_expiration_date", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_index("ix_payments_subscription_charge_id", ["subscription_charge_id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_payment_charge_id", sa.String(), nullable=False),
        sa.Column("user_id", telegram_id, nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("invoice_payload", sa.String(), nullable=False),
        sa.Column("subscription_expiration_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_canceled", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "telegram_payment_charge_id", name="uq_subscriptions_telegram_payment_charge_id"
        ),
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_user_id", table_name="subscriptions")
    op.drop_table("subscriptions")
    with op.batch_alter_table("payments") as batch:
        batch.drop_index("ix_payments_subscription_charge_id")
        batch.drop_column("subscription_expiration_date")
        batch.drop_column("subscription_charge_id")
