"""Inbox rows claimed by a process, for several processes on one PostgreSQL database: who holds
a row (`claimed_by`) and until when (`claimed_until`, the lease), with an index of the pending
rows by chat, which is what a claim asks about. On PostgreSQL, inserts into the inbox and the
outbox also NOTIFY, so that the other processes hear of them at once (see storage/notices.py);
the outbox's notice says the most urgent priority the statement inserted, so that the sender
knows whether it goes before the messages it is sending (bot/outbox.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")
# The channel each table's inserts are announced on (storage/notices.py names them too).
CHANNELS = {"inbox": "stars_shop_inbox", "outbox": "stars_shop_outbox"}


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_inbox_pending_chat",
        "inbox",
        ["chat_id", "id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    # What each notice says: nothing, or the most urgent priority among the rows inserted.
    payloads = {"inbox": "''", "outbox": "(SELECT coalesce(min(priority)::text, '') FROM added)"}
    for table, channel in CHANNELS.items():
        op.execute(
            f"CREATE FUNCTION notify_{table}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_notify('{channel}', {payloads[table]}); RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER notify_{table} AFTER INSERT ON {table} REFERENCING NEW TABLE AS "
            f"added FOR EACH STATEMENT EXECUTE FUNCTION notify_{table}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CHANNELS:
            op.execute(f"DROP TRIGGER notify_{table} ON {table}")
            op.execute(f"DROP FUNCTION notify_{table}()")
    op.drop_index("ix_inbox_pending_chat", table_name="inbox")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
