"""SQLite's query planner, with the statistics the bot refreshes at start (refresh_statistics)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage import refresh_statistics, upgrade_schema

USERS = 2_000
# What entitlements.held_keys sends for the pre-checkouts of a batch of buyers: "which of these
# users already hold this key?".
HELD_KEYS = (
    'SELECT DISTINCT entitlements.user_id, entitlements."key" FROM entitlements '
    "WHERE entitlements.user_id IN ({users}) AND entitlements.\"key\" IN ('gold') "
    "AND entitlements.revoked_at IS NULL AND entitlements.starts_at <= '2026-12-08' "
    "AND (entitlements.expires_at IS NULL OR entitlements.expires_at > '2026-12-08')"
)


def plan(path: Path, users: int) -> str:
    statement = HELD_KEYS.format(users=", ".join(str(100 + n) for n in range(users)))
    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    return "\n".join(row[-1] for row in rows)


async def test_a_batch_of_buyers_is_looked_up_by_user_not_through_every_live_key(tmp_path):
    path = tmp_path / "shop.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_schema(url)
    with sqlite3.connect(path) as connection:  # four keys a buyer, none revoked
        connection.executemany(
            'INSERT INTO entitlements (user_id, "key", telegram_payment_charge_id, starts_at, '
            "expires_at, granted_at) VALUES (?, 'pro', ?, '2026-01-01', '2026-02-01', "
            "'2026-01-01')",
            [(100 + n % USERS, f"charge-{n}") for n in range(4 * USERS)],
        )

    await refresh_statistics(url)

    for users in (1, 100):
        assert "USING INDEX ix_entitlements_user_key" in plan(path, users), plan(path, users)
