"""Retention on SQLite and PostgreSQL: what expires after RETENTION_DAYS, what is kept forever,
and that it goes in small transactions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlmodel import col

from entitlements import grant_for_charge
from storage import (
    AUDIT_PRE_CHECKOUT,
    AuditEvent,
    AuditRepository,
    Entitlement,
    InboxRepository,
    InboxStatus,
    InboxUpdate,
    OutboxMessage,
    OutboxPriority,
    OutboxRepository,
    Payment,
    PaymentRepository,
    Refund,
    RefundRepository,
    SupportRepository,
    SupportRequest,
    delete_expired,
    utcnow,
)
from storage.repositories import audit_row, inbox_row, outbox_row
from tests.helpers import make_payment

NOW = utcnow()
CUTOFF = NOW - timedelta(days=90)
OLD = CUTOFF - timedelta(days=1)
RECENT = CUTOFF + timedelta(days=1)


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


def update_json(update_id: int, **content: Any) -> str:
    return json.dumps({"update_id": update_id, **content}, ensure_ascii=False)


def message(text: str | None = None, **fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 7, "type": "private"},
        "text": text,
        **fields,
    }


async def queue_outbox(session, key: str, created, *, sent=None, failed=None) -> None:
    row = outbox_row(7, key, priority=OutboxPriority.REPLY, dedupe_key=key, now=created)
    await OutboxRepository(session).queue_many([row])
    statement = update(OutboxMessage).where(col(OutboxMessage.dedupe_key) == key)
    await session.exec(statement.values(sent_at=sent, failed_at=failed))


async def keys(session, column) -> set[Any]:
    return set((await session.exec(select(column))).scalars().all())


async def test_expired_rows_go_and_the_accounting_record_stays(sessions, writer):
    paid: dict[str, Any] = {"successful_payment": {"telegram_payment_charge_id": "stx1"}}
    refunded: dict[str, Any] = {"refunded_payment": {"telegram_payment_charge_id": "stx1"}}
    async with sessions() as session:
        await queue_outbox(session, "sent long ago", OLD, sent=OLD)
        await queue_outbox(session, "given up long ago", OLD, failed=OLD)
        await queue_outbox(session, "sent lately", OLD, sent=RECENT)
        await queue_outbox(session, "still owed", OLD)
        done = InboxStatus.DONE
        inbox = [
            inbox_row(
                1,
                "pre_checkout_query",
                7,
                update_json(1, pre_checkout_query={}),
                status=done,
                now=OLD,
            ),
            inbox_row(
                2, "message", 7, update_json(2, message=message("hi")), status=done, now=OLD
            ),
            inbox_row(
                3, "callback_query", 7, update_json(3, callback_query={}), status=done, now=OLD
            ),
            inbox_row(
                4, "message", 7, update_json(4, message=message(**paid)), status=done, now=OLD
            ),
            inbox_row(
                5, "message", 7, update_json(5, message=message(**refunded)), status=done, now=OLD
            ),
            inbox_row(6, "message", 7, update_json(6, message=message("hi")), now=OLD),  # pending
            inbox_row(
                7, "message", 7, update_json(7, message=message("hi")), status=done, now=RECENT
            ),
            # A buyer quoting a payment's JSON is still just a message.
            inbox_row(
                8,
                "message",
                7,
                update_json(8, message=message('"successful_payment": {')),
                status=done,
                now=OLD,
            ),
        ]
        row_ids = await InboxRepository(session).add(inbox)
        await InboxRepository(session).record_failure(row_ids[6], 9, "parked", park=True)
        await AuditRepository(session).add_many(
            [
                audit_row(AUDIT_PRE_CHECKOUT, {}, reason="old query", now=OLD),
                audit_row(AUDIT_PRE_CHECKOUT, {}, reason="recent query", now=RECENT),
                audit_row("successful_payment", paid, reason="old payment", now=OLD),
                audit_row("refund_admin", refunded, reason="old refund", now=OLD),
            ]
        )
        payment = make_payment("stx1")
        payment.paid_at = payment.recorded_at = OLD
        assert await PaymentRepository(session).add(payment)
        await grant_for_charge(session, user_id=7, charge_id="stx1", keys=["gold"], now=OLD)
        refund = Refund(
            telegram_payment_charge_id="stx1",
            user_id=7,
            total_amount=25,
            source="admin",
            refunded_at=OLD,
        )
        assert await RefundRepository(session).add(refund)
        await SupportRepository(session).open(7, "old request", OLD)
        await SupportRepository(session).open(8, "recent request", RECENT)
        await session.commit()

    deleted = await delete_expired(writer, sessions, CUTOFF)

    # Update 7, handled lately, is past the 2 days handled updates are kept (see below).
    assert deleted == {"outbox": 2, "inbox": 5, "audit_events": 1, "support_requests": 1}
    async with sessions() as session:
        assert await keys(session, OutboxMessage.dedupe_key) == {"sent lately", "still owed"}
        assert await keys(session, InboxUpdate.update_id) == {4, 5, 6}
        assert await keys(session, AuditEvent.reason) == {
            "recent query",
            "old payment",
            "old refund",
        }
        assert await keys(session, Payment.telegram_payment_charge_id) == {"stx1"}
        assert await keys(session, Refund.telegram_payment_charge_id) == {"stx1"}
        assert await keys(session, Entitlement.telegram_payment_charge_id) == {"stx1"}
        assert await keys(session, SupportRequest.user_id) == {8}


async def test_handled_updates_go_after_two_days_and_payments_and_pre_checkouts_stay(
    sessions, writer
):
    three_days_ago, yesterday = NOW - timedelta(days=3), NOW - timedelta(days=1)
    paid: dict[str, Any] = {"successful_payment": {"telegram_payment_charge_id": "stx1"}}
    done = InboxStatus.DONE
    rows = [
        (1, "message", message("hi"), done, three_days_ago),  # goes
        (2, "callback_query", {}, done, three_days_ago),  # goes
        (3, "message", message(**paid), done, three_days_ago),  # the accounting record
        (4, "pre_checkout_query", {}, done, three_days_ago),  # kept for RETENTION_DAYS
        (5, "message", message("hi"), InboxStatus.PENDING, three_days_ago),  # not handled yet
        (6, "message", message("hi"), done, yesterday),  # Telegram may still send it again
    ]
    async with sessions() as session:
        await InboxRepository(session).add(
            [
                inbox_row(n, kind, 7, update_json(n, **{kind: body}), status=status, now=when)
                for n, kind, body, status, when in rows
            ]
        )
        await session.commit()

    deleted = await delete_expired(writer, sessions, CUTOFF, now=NOW)

    assert deleted["inbox"] == 2
    async with sessions() as session:
        assert await keys(session, InboxUpdate.update_id) == {3, 4, 5, 6}


async def delete_observed(sessions, writer, chunk: int) -> tuple[dict[str, int], list, int]:
    """`delete_expired`, with the outbox statements it ran (each with the rows it touched) and
    how many commits it made."""
    statements: list[tuple[str, int]] = []
    commits = 0

    def seen(_conn, cursor, statement, *_args) -> None:
        if statement.startswith(("DELETE FROM outbox", "SELECT outbox.id")):
            statements.append((statement, cursor.rowcount))

    def committed(_conn) -> None:
        nonlocal commits
        commits += 1

    async with sessions() as session:
        engine = session.bind.sync_engine
    event.listen(engine, "after_cursor_execute", seen)
    event.listen(engine, "commit", committed)
    try:
        deleted = await delete_expired(writer, sessions, CUTOFF, chunk=chunk)
    finally:
        event.remove(engine, "after_cursor_execute", seen)
        event.remove(engine, "commit", committed)
    return deleted, statements, commits


async def test_expired_rows_are_deleted_a_few_per_transaction(sessions, writer):
    async with sessions() as session:
        for n in range(7):
            await queue_outbox(session, f"old {n}", OLD, sent=OLD)
        await session.commit()

    deleted, statements, commits = await delete_observed(sessions, writer, chunk=3)

    assert deleted["outbox"] == 7
    assert [rows for sql, rows in statements if sql.startswith("DELETE")] == [3, 3, 1]
    assert commits == 3  # none for the tables where nothing expired
    async with sessions() as session:
        count = await session.exec(select(func.count()).select_from(OutboxMessage))
        assert count.scalar_one() == 0


async def test_each_step_reads_on_from_where_the_last_ended(sessions, writer):
    """Rows kept for good (here: messages still owed) between expired ones are read past once,
    not again by every step."""
    async with sessions() as session:
        for n in range(7):
            await queue_outbox(session, f"old {n}", OLD, sent=OLD)
            await queue_outbox(session, f"owed {n}", OLD)
        await session.commit()

    deleted, statements, commits = await delete_observed(sessions, writer, chunk=2)

    finds = [sql for sql, _ in statements if sql.startswith("SELECT")]
    assert deleted["outbox"] == 7
    assert len(finds) == 4  # 2, 2, 2 and the last 1
    assert all("outbox.id >" in sql for sql in finds[1:])
    assert commits == 4
    async with sessions() as session:
        assert await keys(session, OutboxMessage.dedupe_key) == {f"owed {n}" for n in range(7)}
