"""Storage on SQLite and PostgreSQL: unique-constraint dedupe, UTC timestamps, Telegram ids,
SQLite settings, the outbox queue."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, inspect
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import (
    AuditRepository,
    InboxRepository,
    InboxStatus,
    InboxUpdate,
    OutboxMessage,
    OutboxPriority,
    OutboxRepository,
    PaymentRepository,
    Refund,
    RefundRepository,
    SupportRepository,
    SyncStateRepository,
    create_engine,
    upgrade_schema,
    utcnow,
)
from storage.repositories import inbox_row, record_inbox_rows
from tests.helpers import make_payment


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


@pytest.fixture
def local_zone(monkeypatch):
    """Set the process's local time zone (what a naive datetime means to a driver)."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


async def owed_to(session: AsyncSession, chat_id: int) -> list[OutboxMessage]:
    """Every message queued for `chat_id` (sent or not), in the order they were queued."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id)
        .order_by(col(OutboxMessage.id))
    )
    return list((await session.exec(statement)).all())


async def test_same_charge_id_is_stored_once(sessions):
    async with sessions() as session:
        payments = PaymentRepository(session)
        assert await payments.add(make_payment())
        assert not await payments.add(make_payment(amount=999))
        await session.commit()
    async with sessions() as session:
        stored = await PaymentRepository(session).get("stx1")
        assert await PaymentRepository(session).count() == 1
    assert stored is not None and stored.total_amount == 25


async def test_unique_constraint_lives_in_the_database(sessions):
    async with sessions() as session:
        connection = await session.connection()
        constraints = await connection.run_sync(
            lambda sync: inspect(sync).get_unique_constraints("payments")
        )
    assert [(c["name"], c["column_names"]) for c in constraints] == [
        ("uq_payments_telegram_payment_charge_id", ["telegram_payment_charge_id"])
    ]


async def test_timestamps_come_back_as_aware_utc(sessions):
    moment = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    async with sessions() as session:
        payment = make_payment()
        payment.paid_at = moment
        await PaymentRepository(session).add(payment)
        await session.commit()
    async with sessions() as session:
        stored = await PaymentRepository(session).get("stx1")
    assert stored is not None and stored.paid_at == moment
    assert stored.paid_at.tzinfo is UTC


async def test_timestamps_are_stored_as_utc_whatever_the_local_zone(sessions, local_zone):
    local_zone("America/New_York")
    moment = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    async with sessions() as session:
        payment = make_payment()
        payment.paid_at = moment
        await PaymentRepository(session).add(payment)
        await session.commit()
    local_zone("Asia/Tokyo")
    async with sessions() as session:
        stored = await PaymentRepository(session).get("stx1")
        assert stored is not None and stored.paid_at == moment
        found = await PaymentRepository(session).list_for_user(7)
    assert [p.paid_at for p in found] == [moment]


async def test_telegram_ids_beyond_32_bits_are_kept(sessions):
    user_id, group_chat_id = 5_000_000_001, -1_001_234_567_890
    async with sessions() as session:
        assert await PaymentRepository(session).add(make_payment(user_id=user_id))
        assert await OutboxRepository(session).queue(
            group_chat_id, "hello", priority=OutboxPriority.REPLY
        )
        AuditRepository(session).add("test", {}, user_id=user_id)
        await session.commit()
        [payment] = await PaymentRepository(session).list_for_user(user_id)
        [message] = await owed_to(session, group_chat_id)
        [audit] = await AuditRepository(session).list("test")
    assert (payment.user_id, message.chat_id, audit.user_id) == (user_id, group_chat_id, user_id)


async def test_sqlite_runs_in_wal_with_a_busy_timeout(sqlite_url):
    await upgrade_schema(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            journal, timeout, foreign_keys = [
                (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            ]
    finally:
        await engine.dispose()
    assert (journal, timeout, foreign_keys) == ("wal", 5000, 1)


async def test_a_charge_has_at_most_one_refund(sessions):
    async with sessions() as session:
        refunds = RefundRepository(session)
        first = Refund(
            telegram_payment_charge_id="stx1",
            user_id=7,
            total_amount=25,
            source="admin",
            admin_id=1,
            refunded_at=utcnow(),
        )
        second = Refund(
            telegram_payment_charge_id="stx1",
            user_id=7,
            total_amount=25,
            source="telegram",
            refunded_at=utcnow(),
        )
        assert await refunds.add(first)
        assert not await refunds.add(second)
        await session.commit()
        stored = await refunds.refunded_among(["stx1", "stx2"])
    assert list(stored) == ["stx1"] and stored["stx1"].source == "admin"


async def test_outbox_dedupe_key_queues_a_message_once(sessions):
    async with sessions() as session:
        outbox = OutboxRepository(session)
        reply = OutboxPriority.REPLY
        assert await outbox.queue(7, "hello", priority=reply, dedupe_key="payment:stx1")
        assert not await outbox.queue(7, "hello again", priority=reply, dedupe_key="payment:stx1")
        assert await outbox.queue(7, "no key", priority=reply)
        assert await outbox.queue(7, "no key", priority=reply)
        await session.commit()
        assert [m.text for m in await owed_to(session, 7)] == ["hello", "no key", "no key"]


async def test_outbox_claims_skip_sent_given_up_later_and_claimed_messages(sessions):
    now = utcnow()
    async with sessions() as session:
        outbox = OutboxRepository(session)
        for text_ in ("a", "b", "c", "d"):
            await outbox.queue(7, text_, priority=OutboxPriority.REPLY)
        await session.commit()
        a, b, c, _ = [m.id for m in await owed_to(session, 7)]
        assert a is not None and b is not None and c is not None
        await outbox.mark_sent(a)
        await outbox.give_up(b, "Forbidden: bot was blocked by the user")
        await outbox.retry_later(c, now + timedelta(minutes=5), "Bad Gateway")
        await session.commit()
        lease = now + timedelta(hours=1)
        assert [m.text for m in await outbox.claim(now + timedelta(seconds=1), 10, lease)] == ["d"]
        assert await outbox.claim(now + timedelta(seconds=2), 10, lease) == []  # claimed: "d"
        await outbox.release([d for d in [m.id for m in await owed_to(session, 7)][3:] if d], now)
        due_later = await outbox.claim(now + timedelta(minutes=6), 10, lease)
    assert [(m.text, m.attempts) for m in due_later] == [("c", 1), ("d", 0)]


async def test_outbox_claims_payment_notices_first_then_replies_then_admin_notices(sessions):
    queued = [
        ("admin 1", OutboxPriority.ADMIN_NOTICE),
        ("reply 1", OutboxPriority.REPLY),
        ("paid 1", OutboxPriority.PAYMENT_NOTICE),
        ("admin 2", OutboxPriority.ADMIN_NOTICE),
        ("paid 2", OutboxPriority.PAYMENT_NOTICE),
    ]
    async with sessions() as session:
        outbox = OutboxRepository(session)
        for text_, priority in queued:
            await outbox.queue(7, text_, priority=priority)
        await session.commit()
        now = utcnow() + timedelta(seconds=1)
        due = await outbox.claim(now, 10, now + timedelta(minutes=2))
    assert [m.text for m in due] == ["paid 1", "paid 2", "reply 1", "admin 1", "admin 2"]


async def test_outbox_claim_walks_one_index_in_its_order_on_sqlite(sqlite_url):
    """No sort of every owed message on each read: the partial index is already in order."""
    await upgrade_schema(sqlite_url)
    engine = create_engine(sqlite_url)
    ran: list[tuple[str, Any]] = []

    def seen(_conn, _cursor, statement, parameters, *_args) -> None:
        if "FROM outbox" in statement:
            ran.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with engine.connect() as connection:
            async with AsyncSession(connection) as session:
                now = utcnow()
                await OutboxRepository(session).claim(now, 50, now)
            [(statement, parameters)] = ran
            plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            steps = [row[-1] for row in plan]
    finally:
        await engine.dispose()
    assert "SCAN outbox USING INDEX ix_outbox_due" in steps
    assert not any("TEMP B-TREE" in step for step in steps)  # no sort of every owed message


async def test_support_request_keeps_its_state_in_one_row_per_buyer(sessions):
    asked, opened, added = (datetime(2026, 11, 27, 10, m, tzinfo=UTC) for m in (0, 1, 5))
    async with sessions() as session:
        requests = SupportRepository(session)
        assert not await requests.is_asked(7) and not await requests.stop_asking(7, asked)
        await requests.ask(7, asked)
        assert await requests.is_asked(7)
        await requests.open(7, "charged twice", opened)
        assert not await requests.is_asked(7)
        await requests.ask(7, added)  # again, while the request is open
        await requests.add_to(7, "charged twice; and again", added)
        await requests.ask(7, added)
        assert await requests.stop_asking(7, added)
        await session.commit()
        request = await requests.get(7)
    assert request is not None
    assert (request.asked_at, request.opened_at, request.updated_at) == (None, opened, added)
    assert request.description == "charged twice; and again"


async def test_audit_keeps_the_raw_json(sessions):
    async with sessions() as session:
        AuditRepository(session).add(
            "pre_checkout_query",
            {"id": "q1", "total_amount": 25},
            user_id=7,
            decision="refused",
            reason="amount_mismatch",
        )
        await session.commit()
        [event] = await AuditRepository(session).list("pre_checkout_query")
    assert event.raw == '{"id": "q1", "total_amount": 25}'
    assert (event.decision, event.reason, event.user_id) == ("refused", "amount_mismatch", 7)


async def test_sync_state_counter_round_trips(sessions):
    async with sessions() as session:
        state = SyncStateRepository(session)
        assert await state.get("star_transactions_seen") == 0
        await state.set("star_transactions_seen", 5)
        await session.commit()
        await state.set("star_transactions_seen", 7)
        await session.commit()
        assert await state.get("star_transactions_seen") == 7


async def test_sync_state_set_is_one_upsert_never_select_then_insert(sessions):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if "sync_state" in statement:
            statements.append(" ".join(statement.split()))

    async with sessions() as session:
        assert session.bind is not None
        engine = session.bind.sync_engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            await SyncStateRepository(session).set("star_transactions_seen", 5)
            await SyncStateRepository(session).set("star_transactions_seen", 6)
            await session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert await SyncStateRepository(session).get("star_transactions_seen") == 6
    assert len(statements) == 2
    assert all(s.startswith("INSERT INTO sync_state") and "ON CONFLICT" in s for s in statements)


async def test_an_update_sent_again_is_stored_once_and_a_new_one_under_its_id_is_stored(
    sessions,
):
    def row(text: str) -> dict[str, Any]:
        raw = json.dumps({"update_id": 41, "message": {"text": text}})
        return inbox_row(41, "message", 7, raw)

    async with sessions() as session:
        first = await InboxRepository(session).add([row("hello")])
        sent_again = await InboxRepository(session).add([row("hello")])
        # Telegram started update_id again after a quiet week: same id, another update.
        another = await InboxRepository(session).add([row("something else")])
        await session.commit()

    assert list(first) == [41] and sent_again == {} and list(another) == [41]
    assert another[41] > first[41]


async def test_pre_checkout_records_of_many_requests_are_one_statement(sessions, writer):
    """Webhook mode takes one pre-checkout per request: their records, queued together, are
    written in one INSERT, and a query Telegram sent again is recorded once."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO inbox"):
            statements.append(statement)

    def record(update_id: int) -> list[dict[str, Any]]:
        raw = json.dumps({"update_id": update_id, "pre_checkout_query": {"id": str(update_id)}})
        return [inbox_row(update_id, "pre_checkout_query", 7, raw, status=InboxStatus.DONE)]

    engine = sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        await asyncio.gather(
            *(writer.write_many(record_inbox_rows, record(n)) for n in [1, 2, 3, 2, 4])
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    assert len(statements) == 1
    async with sessions() as session:
        stored = (await session.exec(select(InboxUpdate.update_id))).all()
    assert sorted(stored) == [1, 2, 3, 4]
