"""A shop database with a million payments, written by SQLite itself in about 15 seconds.

Each payment comes with what the bot would have stored with it: a timed grant, a sent
confirmation, its audit row and its inbox row. Buyers are 250,000 users with four payments
each, so that look-ups by user find history, as in a shop that has run for a while.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.flash_sale import migrate

FIRST_USER = 100_000_001
USERS = 250_000
# A shop whose daily chores have kept up, so that the bot starts on the sale, not on them: the
# rows (a million seconds, 11.6 days of them) are within RETENTION_DAYS (90) of now, or the
# bot would delete two million at start; and each grant ended weeks ago, or a day's worth of
# expiry reminders would fall due at start.
START = (datetime.now(UTC) - timedelta(days=80)).replace(tzinfo=None, microsecond=0)  # naive UTC
PERIOD = timedelta(days=30)


def users() -> range:
    return range(FIRST_USER, FIRST_USER + USERS)


def fill(database: Path, payments: int) -> None:
    """Rows are made by SQLite (a recursive count), not in Python: a third of the time."""
    migrate(database)
    with sqlite3.connect(database, isolation_level=None) as connection:
        connection.execute("PRAGMA journal_mode=OFF")  # a throwaway file: speed over safety
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        for insert in INSERTS:
            connection.execute(
                f"WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ?), "
                f"row(x, u, c, t) AS (SELECT x, ? + x % ?, printf('stxbench%012d', x), "
                f"datetime(?, '+' || x || ' seconds') FROM n) {insert}",
                (payments - 1, FIRST_USER, USERS, START.isoformat(sep=" ")),
            )
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")


# Each reads `row`: x counts from 0, u is the buyer, c the charge id, t when it was paid.
INSERTS = (
    "INSERT INTO payments (telegram_payment_charge_id, user_id, product_id, total_amount, "
    "currency, invoice_payload, source, paid_at, recorded_at) "
    "SELECT c, u, 'pro_month', 100, 'XTR', 'v1:pro_month:100', 'update', t, t FROM row",
    "INSERT INTO entitlements (user_id, key, telegram_payment_charge_id, starts_at, expires_at, "
    f"granted_at) SELECT u, 'pro', c, t, datetime(t, '+{PERIOD.days} days'), t FROM row",
    "INSERT INTO outbox (chat_id, text, dedupe_key, attempts, created_at, next_attempt_at, "
    "sent_at) SELECT u, 'Thank you, payment received!', 'payment:' || c, 0, t, t, t FROM row",
    "INSERT INTO audit_events (kind, user_id, telegram_payment_charge_id, decision, raw, "
    "created_at) SELECT 'successful_payment', u, c, 'recorded', '{\"total_amount\":100}', t "
    "FROM row",
    "INSERT INTO inbox (update_id, digest, kind, chat_id, raw, status, attempts, received_at, "
    "finished_at) SELECT 1 + x, printf('bench%059d', x), 'message', u, "
    '\'{"message":{"successful_payment":{}}}\', '
    "'done', 0, t, t FROM row",
)
