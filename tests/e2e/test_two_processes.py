"""Two processes on one database: PostgreSQL keeps them correct; SQLite lets only one in.

The concurrency tests run two worker processes (tests/e2e/worker.py) that start their work at
the same moment and use the bot's own services, as two bot processes would.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from bot.services.offers import PayloadSigner
from emulator import BotAPIEmulator, Fault
from storage import (
    Entitlement,
    OutboxMessage,
    OutboxPriority,
    OutboxRepository,
    Payment,
    Refund,
    create_engine,
    create_session_factory,
    upgrade_schema,
)
from tests import children
from tests.e2e.process import BotProcess, child_env, run_command, run_to_exit
from tests.helpers import ADMIN_ID, eventually, postgres_only, raw_sql, sqlite_only


class Workers:
    """Two worker processes doing the same kind of job on the test's database."""

    def __init__(self, emulator: BotAPIEmulator, database_url: str, workdir: Path) -> None:
        self.emulator = emulator
        self.database_url = database_url
        self.workdir = workdir

    async def together(self, task: str, *item_lists: list[Any]) -> list[Any]:
        """One worker per item list, started at once; returns what each got."""
        started = []
        for number, items in enumerate(item_lists):
            job = {
                "task": task,
                "database_url": self.database_url,
                "api_base": self.emulator.base_url,
                "token": self.emulator.token,
                "items": items,
            }
            ours, theirs = children.pipe()
            worker = children.start(
                "tests.e2e.worker",
                json.dumps(job),
                env=child_env(),
                cwd=self.workdir,
                stdout=self.workdir / f"{task}-{number}.log",
                channel=theirs,
            )
            theirs.close()
            started.append((worker, ours))
        for worker, channel in started:  # both connected, then both go
            assert await children.receive(channel, 60) == "ready", worker.output()
        for _, channel in started:
            channel.send("go")
        results = [await children.receive(channel, 120) for _, channel in started]
        for worker, _ in started:
            assert await asyncio.wait_for(worker.wait(), 30) == 0, worker.output()
        return results


@pytest.fixture
async def workers(emulator, database_url, tmp_path) -> Workers:
    await upgrade_schema(database_url)
    return Workers(emulator, database_url, tmp_path)


@pytest.fixture
async def db(database_url):
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


async def rows(db, model) -> list[Any]:
    async with db() as session:
        return list((await session.exec(select(model))).all())


def gold_payment(emulator: BotAPIEmulator, charge_id: str, user_id: int) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "telegram_payment_charge_id": charge_id,
        "total_amount": 25,
        "currency": "XTR",
        "invoice_payload": PayloadSigner(emulator.token).encode("gold", 25),
    }


@postgres_only
async def test_a_charge_two_processes_store_at_once_is_stored_and_granted_once(
    emulator, workers, db
):
    payments = [gold_payment(emulator, f"stx{n}", 1000 + n) for n in range(40)]
    first, second = await workers.together("pay", payments, payments)

    assert [a + b for a, b in zip(first, second, strict=True)] == [1] * 40  # one stores each
    assert len(await rows(db, Payment)) == 40
    granted = Counter(e.telegram_payment_charge_id for e in await rows(db, Entitlement))
    assert granted == Counter(p["telegram_payment_charge_id"] for p in payments)  # once each
    assert len(await rows(db, OutboxMessage)) == 40


@postgres_only
async def test_two_payments_for_one_owned_product_in_two_processes_grant_once(
    emulator, workers, db, database_url
):
    # Storing takes a while, so both transactions are open at once: each must wait for the
    # other's grants before it decides what the buyer owns.
    await raw_sql(
        database_url,
        "CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$",
        "CREATE TRIGGER slow_down AFTER INSERT ON payments "
        "FOR EACH STATEMENT EXECUTE FUNCTION slow_down()",
    )
    users = range(2000, 2040)
    ones = [gold_payment(emulator, f"stxa{u}", u) for u in users]
    others = [gold_payment(emulator, f"stxb{u}", u) for u in users]
    first, second = await workers.together("pay", ones, others)

    assert first == second == [True] * 40  # both kept; the second for a person to refund
    assert len(await rows(db, Payment)) == 80
    granted = Counter(e.user_id for e in await rows(db, Entitlement))
    assert granted == Counter(users)  # one of the two payments granted, for each buyer


@pytest.mark.slow
@postgres_only
async def test_refunds_of_one_charge_from_two_processes_ask_telegram_once(emulator, workers, db):
    signer = PayloadSigner(emulator.token)
    buyers = [emulator.user(f"Refunded {n}") for n in range(15)]
    charges = [emulator.pay_while_bot_down(b, signer.encode("gold", 25), 25) for b in buyers]
    paid = [gold_payment(emulator, c, b.id) for c, b in zip(charges, buyers, strict=True)]
    await workers.together("pay", paid)
    # Telegram takes its time: without a lock both processes would ask it.
    emulator.inject("refundStarPayment", Fault(status=None, delay=0.2), times=30)

    first, second = await workers.together("refund", charges, charges)

    for pair in zip(first, second, strict=True):
        assert sorted(pair) == ["already_refunded", "refunded"]
    assert Counter(
        r.params["telegram_payment_charge_id"] for r in emulator.calls("refundStarPayment")
    ) == Counter(charges)
    assert len(await rows(db, Refund)) == 15


@postgres_only
async def test_two_outbox_senders_never_send_one_message_twice(emulator, workers, db):
    people = [emulator.user(f"Owed {n}") for n in range(120)]
    async with db() as session:
        outbox = OutboxRepository(session)
        for person in people:
            await outbox.queue(person.id, "owed to you", priority=OutboxPriority.REPLY)
        await session.commit()

    first, second = await workers.together("send", [], [])

    assert first + second == 120
    sent = Counter(m["chat"]["id"] for m in emulator.sent_messages())
    assert sent == Counter(p.id for p in people)
    assert all(m.sent_at is not None for m in await rows(db, OutboxMessage))


@postgres_only
async def test_reconciliation_runs_in_one_process_at_a_time(emulator, workers, db):
    signer = PayloadSigner(emulator.token)
    charges = [
        emulator.pay_while_bot_down(emulator.user(f"Offline {n}"), signer.encode("gold", 25), 25)
        for n in range(30)
    ]
    emulator.inject("getStarTransactions", Fault(status=None, delay=0.3), times=4)

    first, second = await workers.together("reconcile", [], [])

    assert sorted(first + second) == sorted(charges)  # each recorded by one of them
    assert len(await rows(db, Payment)) == 30
    calls = sorted(emulator.calls("getStarTransactions"), key=lambda r: r.time)
    for earlier, later in itertools.pairwise(calls):
        assert earlier.answered_at is not None and later.time >= earlier.answered_at


# -- one active process -------------------------------------------------------------------


def conflicts(emulator: BotAPIEmulator) -> list[Any]:
    return [r for r in emulator.calls("getUpdates") if r.status == 409]


@pytest.mark.slow
@postgres_only
async def test_a_follower_takes_over_polling_and_sending_within_10_s_when_the_leader_is_killed(
    emulator, tmp_path, database_url, db
):
    active = BotProcess(emulator, tmp_path / "a", admin_ids=ADMIN_ID, database_url=database_url)
    standby = BotProcess(emulator, tmp_path / "b", admin_ids=ADMIN_ID, database_url=database_url)
    try:
        await active.start()
        await standby.start(polls=False)
        assert active.process is not None
        assert f"pid {active.process.pid} on" in standby.log()  # it says who is active
        _, status, _ = await run_command(tmp_path, "status", database_url=database_url)
        assert f"active poller: bot pid {active.process.pid} on" in status

        since = emulator.mark()
        await active.kill()  # SIGKILL: its connection drops, and its lock with it
        await emulator.wait_for("getUpdates", since=since, answered=False, timeout=10)
        assert "taking over" in standby.log()

        buyer = emulator.user("After the failover")
        payload = PayloadSigner(emulator.token).encode("gold", 25)
        paid = await emulator.pay(buyer, payload=payload, total_amount=25)
        assert paid.ok
        await emulator.wait_for_message(buyer.id, text_contains="Thank you")

        async def stored() -> bool:
            return [p.telegram_payment_charge_id for p in await rows(db, Payment)] == [
                paid.charge_id
            ]

        await eventually(stored)
        assert conflicts(emulator) == []  # never two polling at once
    finally:
        await active.kill()
        await standby.kill()


@postgres_only
async def test_the_active_process_stops_when_it_loses_its_lock(emulator, tmp_path, database_url):
    active = BotProcess(emulator, tmp_path / "a", database_url=database_url)
    try:
        await active.start()
        assert active.process is not None
        engine = create_async_engine(database_url)
        async with engine.begin() as connection:  # the server drops its lock's connection
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": f"bot pid {active.process.pid} on {socket.gethostname()}"},
            )
        await engine.dispose()
        assert await active.wait(timeout=15) == 3
        assert "stopped leading: the database connection holding the active lock broke" in (
            active.log()
        )
    finally:
        await active.kill()


@sqlite_only
async def test_a_second_process_on_one_sqlite_file_refuses_naming_the_first(
    emulator, tmp_path, database_url
):
    first = BotProcess(emulator, tmp_path / "a", database_url=database_url)
    try:
        await first.start()
        assert first.process is not None
        code, stderr = await run_to_exit(
            tmp_path,
            bot_token=emulator.token,
            telegram_api_base=emulator.base_url,
            database_url=database_url,
        )
        assert code == 2
        line = stderr.strip().splitlines()[-1]
        assert "is in use by another bot process" in line
        assert "to run several processes on one database, use PostgreSQL" in line
        assert f"pid {first.process.pid} on" in line
        _, status, _ = await run_command(tmp_path, "status", database_url=database_url)
        assert f"active poller: pid {first.process.pid} on" in status

        first.signal(signal.SIGTERM)
        assert await first.wait(timeout=10) == 0
        _, status, _ = await run_command(tmp_path, "status", database_url=database_url)
        assert "active poller: none" in status
    finally:
        await first.kill()


async def test_status_shows_the_schema_and_the_backlogs(tmp_path, database_url):
    await upgrade_schema(database_url)
    engine = create_engine(database_url)
    async with create_session_factory(engine)() as session:
        await OutboxRepository(session).queue(7, "owed", priority=OutboxPriority.REPLY)
        await session.commit()
    await engine.dispose()

    code, status, stderr = await run_command(tmp_path, "status", database_url=database_url)

    assert (code, stderr) == (0, "")
    lines = status.splitlines()
    assert lines[0].startswith("active poller: none")
    assert lines[1].startswith("schema version: ") and "(current)" in lines[1]
    assert lines[2] == "inbox: 0 update(s) waiting, 0 parked as failed"
    assert lines[3] == "outbox: 1 message(s) unsent, 0 given up"
