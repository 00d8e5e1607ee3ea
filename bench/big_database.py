"""A shop database with a million payments, written straight with sqlite3 in a minute.

Each payment comes with what the bot would have stored with it: a timed grant, a sent
confirmation, its audit row and its inbox row. Buyers are 250,000 users with four payments
each, so that look-ups by user find history, as in a shop that has run for a while.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
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
    migrate(database)
    with sqlite3.connect(database, isolation_level=None) as connection:
        connection.execute("PRAGMA journal_mode=OFF")  # a throwaway file: speed over safety
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        for statement, rows in _tables(payments):
            connection.executemany(statement, rows)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")


def _tables(payments: int) -> Iterator[tuple[str, Iterator[tuple[object, ...]]]]:
    def each(row: object) -> Iterator[tuple[object, ...]]:
        for n in range(payments):
            yield row(n, FIRST_USER + n % USERS, f"stxbench{n:012d}", START + timedelta(seconds=n))  # type: ignore[operator]

    yield (
        "INSERT INTO payments (telegram_payment_charge_id, user_id, product_id, total_amount, "
        "currency, invoice_payload, source, paid_at, recorded_at) VALUES (?,?,?,?,?,?,?,?,?)",
        each(
            lambda n, u, c, t: (c, u, "pro_month", 100, "XTR", "v1:pro_month:100", "update", t, t)
        ),
    )
    yield (
        "INSERT INTO entitlements (user_id, key, telegram_payment_charge_id, starts_at, "
        "expires_at, granted_at) VALUES (?,?,?,?,?,?)",
        each(lambda n, u, c, t: (u, "pro", c, t, t + PERIOD, t)),
    )
    yield (
        "INSERT INTO outbox (chat_id, text, dedupe_key, attempts, created_at, next_attempt_at, "
        "sent_at) VALUES (?,?,?,?,?,?,?)",
        each(lambda n, u, c, t: (u, "Thank you, payment received!", f"payment:{c}", 0, t, t, t)),
    )
    yield (
        "INSERT INTO audit_events (kind, user_id, telegram_payment_charge_id, decision, raw, "
        "created_at) VALUES (?,?,?,?,?,?)",
        each(
            lambda n, u, c, t: ("successful_payment", u, c, "recorded", '{"total_amount":100}', t)
        ),
    )
    yield (
        "INSERT INTO inbox (update_id, kind, chat_id, raw, status, attempts, received_at, "
        "finished_at) VALUES (?,?,?,?,?,?,?,?)",
        each(lambda n, u, c, t: (1 + n, "message", u, '{"message":{}}', "done", 0, t, t)),
    )
