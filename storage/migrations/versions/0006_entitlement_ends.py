"""An index on when each grant ends, so that finding the reminders due reads only the grants
that end soon, not every grant still running.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entitlements_expires_at", "entitlements", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_entitlements_expires_at", table_name="entitlements")
