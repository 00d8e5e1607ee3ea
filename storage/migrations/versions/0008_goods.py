"""What buyers receive beyond a key: codes, units of limited stock, members the bot admitted to
the private chats it manages, uploaded files, and the side effects owed (members to remove,
payments to refund). The outbox learns to send a file, and revocations get an index so that
the access job reads only the keys revoked since its last run.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

telegram_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REMOVAL_PENDING = "done_at IS NULL AND dropped_at IS NULL AND parked_at IS NULL"
REFUND_PENDING = "done_at IS NULL AND parked_at IS NULL"
CODE_UNSOLD = "telegram_payment_charge_id IS NULL"
UNIT_SOLD = "returned_at IS NULL"


def _partial_index(
    name: str, table: str, columns: list[str], where: str, *, unique: bool = False
) -> None:
    op.create_index(
        name,
        table,
        columns,
        unique=unique,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.create_table(
        "codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("telegram_payment_charge_id", sa.String(), nullable=True),
        sa.Column("user_id", telegram_id, nullable=True),
        sa.Column("sold_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("product_id", "code", name="uq_codes_product_code"),
        sa.UniqueConstraint(
            "telegram_payment_charge_id", name="uq_codes_telegram_payment_charge_id"
        ),
    )
    _partial_index("ix_codes_unsold", "codes", ["product_id", "id"], CODE_UNSOLD)
    op.create_table(
        "stock_sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("telegram_payment_charge_id", sa.String(), nullable=False),
        sa.Column("user_id", telegram_id, nullable=False),
        sa.Column("sold_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "telegram_payment_charge_id", name="uq_stock_sales_telegram_payment_charge_id"
        ),
    )
    _partial_index("ix_stock_sales_sold", "stock_sales", ["product_id"], UNIT_SOLD)
    op.create_table(
        "owed_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_payment_charge_id", sa.String(), nullable=False),
        sa.Column("user_id", telegram_id, nullable=False),
        sa.Column("total_amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "telegram_payment_charge_id", name="uq_owed_refunds_telegram_payment_charge_id"
        ),
    )
    _partial_index("ix_owed_refunds_due", "owed_refunds", ["next_attempt_at"], REFUND_PENDING)
    op.create_table(
        "admitted_members",
        sa.Column("chat_id", telegram_id, nullable=False, autoincrement=False),
        sa.Column("user_id", telegram_id, nullable=False, autoincrement=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", "user_id"),
    )
    op.create_table(
        "access_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", telegram_id, nullable=False),
        sa.Column("user_id", telegram_id, nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dropped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _partial_index(
        "uq_access_removals_pending",
        "access_removals",
        ["chat_id", "user_id"],
        REMOVAL_PENDING,
        unique=True,
    )
    _partial_index("ix_access_removals_due", "access_removals", ["due_at"], REMOVAL_PENDING)
    op.create_table(
        "uploaded_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("file_id", sa.String(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path", "sha256", name="uq_uploaded_files_path_sha256"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("document", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("protect_content", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_entitlements_revoked_at", "entitlements", ["revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_entitlements_revoked_at", table_name="entitlements")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("protect_content")
        batch.drop_column("document")
    op.drop_table("uploaded_files")
    op.drop_index("ix_access_removals_due", table_name="access_removals")
    op.drop_index("uq_access_removals_pending", table_name="access_removals")
    op.drop_table("access_removals")
    op.drop_table("admitted_members")
    op.drop_index("ix_owed_refunds_due", table_name="owed_refunds")
    op.drop_table("owed_refunds")
    op.drop_index("ix_stock_sales_sold", table_name="stock_sales")
    op.drop_table("stock_sales")
    op.drop_index("ix_codes_unsold", table_name="codes")
    op.drop_table("codes")
