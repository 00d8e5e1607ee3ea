"""The inbox keyed by its own row id, with a digest of each update's content: Telegram starts
update_id again at a random value after a week without updates, so an update_id that meets a
stored row is a new update when its content differs.

The table is rebuilt (SQLite cannot change a primary key in place), its rows copied in
update_id order, so that the new ids keep the order they were stored in, each with the sha256
of its JSON.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

telegram_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CHUNK = 1000
COPIED = (
    *("update_id", "kind", "chat_id", "raw", "status", "attempts"),
    *("received_at", "finished_at", "last_error"),
)


def upgrade() -> None:
    _set_aside_old_inbox()
    op.create_table(
        "inbox",
        sa.Column("id", telegram_id, nullable=False),
        sa.Column("update_id", telegram_id, nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        *_content_columns(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("update_id", "digest", name="uq_inbox_update_digest"),
    )
    op.create_index("ix_inbox_status_id", "inbox", ["status", "id"])
    _copy_rows(with_digest=True)
    op.drop_table("inbox_old")


def downgrade() -> None:
    """Back to one row per update_id: of two rows with one update_id, the later is kept."""
    _set_aside_old_inbox(index="ix_inbox_status_id")
    op.create_table(
        "inbox",
        sa.Column("update_id", telegram_id, autoincrement=False, nullable=False),
        *_content_columns(),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index("ix_inbox_status_update", "inbox", ["status", "update_id"])
    _copy_rows(with_digest=False)
    op.drop_table("inbox_old")


def _content_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("chat_id", telegram_id, nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
    ]


def _set_aside_old_inbox(index: str = "ix_inbox_status_update") -> None:
    """Rename the table out of the way, freeing the names (in PostgreSQL, index and constraint
    names are the schema's) that the new table takes."""
    op.drop_index(index, table_name="inbox")
    op.rename_table("inbox", "inbox_old")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE inbox_old DROP CONSTRAINT inbox_pkey")


def _copy_rows(*, with_digest: bool) -> None:
    old = sa.table("inbox_old", *(sa.column(name) for name in (*COPIED, "id")))
    new = sa.table("inbox", *(sa.column(name) for name in (*COPIED, "digest")))
    for rows in _old_rows(old, newest_per_update=not with_digest):
        if with_digest:
            for row in rows:
                row["digest"] = hashlib.sha256(row["raw"].encode()).hexdigest()
        op.get_bind().execute(sa.insert(new), rows)


def _old_rows(old: sa.TableClause, *, newest_per_update: bool) -> Iterator[list[dict[str, Any]]]:
    """The old table's rows in update_id order (then id), `CHUNK` at a time."""
    columns = [old.c[name] for name in COPIED]
    query = sa.select(*columns)
    if newest_per_update:
        newest = sa.select(sa.func.max(old.c.id)).group_by(old.c.update_id)
        query = query.where(old.c.id.in_(newest.scalar_subquery()))
    query = query.order_by(old.c.update_id, *([old.c.id] if newest_per_update else []))
    after: Any = None
    while True:
        page = query if after is None else query.where(old.c.update_id > after)
        rows = [dict(row._mapping) for row in op.get_bind().execute(page.limit(CHUNK))]
        if not rows:
            return
        yield rows
        after = rows[-1]["update_id"]
