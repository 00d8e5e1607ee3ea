"""Each user's language: the one they chose with /language, and their Telegram app's latest
`language_code`, so that a message queued for them (a refund notice, a reminder) is in it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(), nullable=True))
        batch.add_column(sa.Column("language_code", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language_code")
        batch.drop_column("language")
