"""Migrations on SQLite and PostgreSQL: from empty, from the first release, refusals, the lock."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, select

from entitlements import has, list_active, revoke_for_charge
from storage import (
    AuditRepository,
    OutboxMessage,
    OutboxPriority,
    PaymentRepository,
    RefundRepository,
    SchemaError,
    SyncStateRepository,
    create_engine,
    create_session_factory,
    upgrade_schema,
)
from storage.migrate import (
    HEAD_REVISION,
    MIGRATION_LOCK_KEY,
    VERSION_TABLE,
    migrations_config,
)
from tests import children as forked
from tests.e2e.process import child_env
from tests.fixtures import restore_first_release
from tests.helpers import eventually, make_payment

# Each test builds the database it upgrades: none starts at the schema.
pytestmark = pytest.mark.empty_database

HEAD = ScriptDirectory.from_config(migrations_config()).get_current_head()
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


async def on_database(url: str, work: Callable[[Connection], Any]) -> Any:
    """Run `work` on a connection to `url`, in one committed transaction."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def differences(connection: Connection) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the models."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def execute(*statements: str) -> Callable[[Connection], None]:
    def work(connection: Connection) -> None:
        for statement in statements:
            connection.execute(text(statement))

    return work


def versions(connection: Connection) -> list[str]:
    return [row[0] for row in connection.execute(text(f"SELECT * FROM {VERSION_TABLE}"))]


async def test_an_empty_database_is_upgraded_to_the_newest_revision(database_url):
    assert await upgrade_schema(database_url) == HEAD
    assert await on_database(database_url, tables) == set(SQLModel.metadata.tables) | {
        VERSION_TABLE
    }
    assert await on_database(database_url, versions) == [HEAD]


def test_the_head_revision_the_bot_checks_first_is_the_newest_migration():
    assert HEAD == HEAD_REVISION


async def test_the_models_and_the_migrations_agree(database_url):
    await upgrade_schema(database_url)
    assert await on_database(database_url, differences) == []


async def test_upgrading_an_upgraded_database_changes_nothing(database_url):
    await upgrade_schema(database_url)
    async with sessions_on(database_url) as sessions, sessions() as session:
        await PaymentRepository(session).add(make_payment())
        await session.commit()
    assert await upgrade_schema(database_url) == HEAD
    async with sessions_on(database_url) as sessions, sessions() as session:
        assert await PaymentRepository(session).count() == 1


async def test_the_first_revision_can_be_undone_and_done_again(database_url):
    await upgrade_schema(database_url)

    def downgrade(connection: Connection) -> None:
        command.downgrade(migrations_config(connection), "base")

    await on_database(database_url, downgrade)
    assert await on_database(database_url, tables) == {VERSION_TABLE}
    assert await upgrade_schema(database_url) == HEAD
    assert await on_database(database_url, differences) == []


def upgrade_to_first_release(connection: Connection) -> None:
    command.upgrade(migrations_config(connection), "0001")


async def test_tables_without_a_version_are_stamped_and_keep_their_rows(database_url):
    await on_database(database_url, upgrade_to_first_release)  # as the first release made it
    async with sessions_on(database_url) as sessions, sessions() as session:
        await PaymentRepository(session).add(make_payment())
        await session.commit()
    await on_database(database_url, execute(f"DROP TABLE {VERSION_TABLE}"))

    assert await upgrade_schema(database_url) == HEAD
    assert await on_database(database_url, versions) == [HEAD]
    async with sessions_on(database_url) as sessions, sessions() as session:
        assert await PaymentRepository(session).get("stx1") is not None


async def test_a_database_with_some_of_the_tables_is_refused(database_url):
    await on_database(database_url, upgrade_to_first_release)
    await on_database(database_url, execute(f"DROP TABLE {VERSION_TABLE}", "DROP TABLE refunds"))
    with pytest.raises(SchemaError) as refused:
        await upgrade_schema(database_url)
    message = str(refused.value)
    assert "\n" not in message and "missing: refunds" in message and "backup" in message
    assert VERSION_TABLE not in await on_database(database_url, tables)


async def test_a_database_of_another_application_is_refused_untouched(database_url):
    await on_database(database_url, execute("CREATE TABLE users (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaError) as refused:
        await upgrade_schema(database_url)
    message = str(refused.value)
    assert "\n" not in message and "(users)" in message and "DATABASE_URL" in message
    assert await on_database(database_url, tables) == {"users"}


async def test_a_database_a_newer_release_migrated_is_refused(database_url):
    await upgrade_schema(database_url)
    await on_database(database_url, execute(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    with pytest.raises(SchemaError) as refused:
        await upgrade_schema(database_url)
    assert "9999" in str(refused.value) and "newer release" in str(refused.value)


@pytest.mark.slow
async def test_two_processes_starting_together_migrate_once(backend, database_url, db_path):
    """Both wait on the migration lock (held here), then take turns: one migrates."""
    hold = hold_sqlite_write_lock(db_path) if backend == "sqlite" else hold_advisory_lock
    async with hold(database_url) as waiting:
        children = [start_migrate(database_url, db_path.parent, n) for n in range(2)]

        async def both_waiting() -> bool:
            finished = [child.returncode for child in children if child.returncode is not None]
            assert not finished, f"migrate exited ({finished}) without waiting for the lock"
            return await waiting([child.pid for child in children])

        await eventually(both_waiting, timeout=60)
    try:
        codes = await asyncio.wait_for(asyncio.gather(*(c.wait() for c in children)), 60)
    finally:
        for child in children:
            child.kill()  # when out of time
    outcomes = [(code, *child.output()) for child, code in zip(children, codes, strict=True)]
    assert outcomes == [(0, f"{HEAD}\n", "")] * 2
    assert await on_database(database_url, versions) == [HEAD]
    assert await on_database(database_url, differences) == []


async def test_alembic_command_line_finds_the_models_and_migrations_agree(tmp_path, sqlite_url):
    """What a developer runs before writing a revision (see alembic.ini)."""
    await upgrade_schema(sqlite_url)
    alembic = Path(sys.executable).with_name("alembic")
    checking = await asyncio.create_subprocess_exec(
        alembic,
        "-c",
        REPO_ROOT / "alembic.ini",
        "check",
        cwd=tmp_path,
        env=child_env(database_url=sqlite_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(checking.communicate(), 60)
    assert (checking.returncode, output.decode()) == (0, "No new upgrade operations detected.\n")


# -- the first release's database (SQLite: no release before this one ran on PostgreSQL) ------

# A day after the fixture was written, so the answers do not depend on today's date.
FIXTURE_NOW = datetime(2026, 11, 27, tzinfo=UTC)
GOLD_CHARGE = "stx7fuxc_MNQuxGazkMxevQ0-ACSB9wh-sXMOd0ZG3ERxZzN3eiIjLqKi4Qsry2-GGi"
FIRST_PRO_CHARGE = "stxOSIe8LHJLCs2ZWTIVN4gELAUYGa4ErElEJXm4_SRuLuqo7wG5H4pQcdDGbjZRou7"
REFUNDED_CHARGE = "stxcjyr7lgAs2OuFcF17RLw1pwk9J95EQGH_SaEN11U88-dFa2eOeBJ_BW12X_mvdEk"
GOLD_BUYER, PRO_BUYER, REFUNDED_BUYER = 7001, 7002, 5_000_000_001


async def test_the_first_revision_makes_the_tables_the_first_release_made(tmp_path, sqlite_url):
    released = tmp_path / "released.db"
    restore_first_release(released)
    await on_database(sqlite_url, upgrade_to_first_release)
    schema = (
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        f"WHERE tbl_name != '{VERSION_TABLE}' ORDER BY name"
    )
    with contextlib.closing(sqlite3.connect(released)) as old:
        made_by_release = old.execute(schema).fetchall()
    with contextlib.closing(
        sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"))
    ) as new:
        made_by_migration = new.execute(schema).fetchall()
    assert made_by_migration == made_by_release


async def test_the_first_releases_database_keeps_its_payments_grants_and_refunds(
    db_path, sqlite_url
):
    restore_first_release(db_path)
    assert await upgrade_schema(sqlite_url) == HEAD
    assert await on_database(sqlite_url, differences) == []
    now = FIXTURE_NOW
    async with sessions_on(sqlite_url) as sessions, sessions() as session:
        assert await PaymentRepository(session).count() == 5
        owed = select(func.count()).where(OutboxMessage.chat_id == REFUNDED_BUYER)
        assert (await session.exec(owed)).one() == 3
        assert len(await AuditRepository(session).list()) == 12
        assert await SyncStateRepository(session).get("star_transactions_seen") == 0
        refund = await RefundRepository(session).get(REFUNDED_CHARGE)
        assert refund is not None and (refund.source, refund.admin_id) == ("admin", 900_001)

        assert await has(session, GOLD_BUYER, "gold", now=now)
        assert not await has(session, REFUNDED_BUYER, "gold", now=now)
        assert not await has(session, REFUNDED_BUYER, "supporter", now=now)
        assert await has(session, REFUNDED_BUYER, "pro", now=now)
        [pro] = await list_active(session, PRO_BUYER, now=now)
        assert pro.key == "pro" and len(pro.charge_ids) == 2
        assert pro.expires_at is not None and pro.expires_at.date().isoformat() == "2027-01-25"

        # The same charge again is still deduped by the unique constraint.
        assert not await PaymentRepository(session).add(make_payment(charge_id=GOLD_CHARGE))
        assert await PaymentRepository(session).add(make_payment(charge_id="stx-new"))
        # A refund still revokes, and the period queued behind it moves up to now.
        assert await revoke_for_charge(session, FIRST_PRO_CHARGE, now=now) == 1
        await session.commit()
    async with sessions_on(sqlite_url) as sessions, sessions() as session:
        assert await PaymentRepository(session).count() == 6
        [pro] = await list_active(session, PRO_BUYER, now=now)
        assert pro.expires_at == now + timedelta(days=30)


async def test_messages_owed_at_the_upgrade_to_priorities_get_the_priority_of_their_kind(
    database_url,
):
    def upgrade_to_0002(connection: Connection) -> None:
        command.upgrade(migrations_config(connection), "0002")

    await on_database(database_url, upgrade_to_0002)
    expected = {
        "payment:stx1": OutboxPriority.PAYMENT_NOTICE,
        "refund:stx1": OutboxPriority.PAYMENT_NOTICE,
        "payment-alert:stx1:900001": OutboxPriority.ADMIN_NOTICE,
        "support:7:41:900001": OutboxPriority.ADMIN_NOTICE,
        "something-else": OutboxPriority.REPLY,
    }
    await on_database(
        database_url,
        execute(
            *(
                "INSERT INTO outbox (chat_id, text, dedupe_key, attempts, created_at, "
                f"next_attempt_at) VALUES (7, 'owed', '{key}', 0, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
                for key in expected
            )
        ),
    )

    await upgrade_schema(database_url)

    def priorities(connection: Connection) -> dict[str, int]:
        rows = connection.execute(text("SELECT dedupe_key, priority FROM outbox"))
        return {key: priority for key, priority in rows}

    assert await on_database(database_url, priorities) == expected


async def test_the_inbox_keeps_its_rows_in_order_with_their_digests_across_0007(database_url):
    def inbox(connection: Connection) -> list[tuple[Any, ...]]:
        query = "SELECT update_id, status FROM inbox ORDER BY update_id"
        return [tuple(row) for row in connection.execute(text(query))]

    await on_database(database_url, lambda c: command.upgrade(migrations_config(c), "0006"))
    await on_database(
        database_url,
        execute(
            *(
                "INSERT INTO inbox (update_id, kind, chat_id, raw, status, attempts, received_at)"
                f" VALUES ({update_id}, 'message', 7, '{{\"update_id\": {update_id}}}', "
                f"'{status}', 0, CURRENT_TIMESTAMP)"
                for update_id, status in ((12, "done"), (10, "pending"), (11, "failed"))
            )
        ),
    )

    await upgrade_schema(database_url)

    def by_row_id(connection: Connection) -> list[tuple[Any, ...]]:
        query = "SELECT update_id, digest, raw FROM inbox ORDER BY id"
        return [tuple(row) for row in connection.execute(text(query))]

    rows = await on_database(database_url, by_row_id)
    assert [update_id for update_id, _, _ in rows] == [10, 11, 12]
    assert all(digest == hashlib.sha256(raw.encode()).hexdigest() for _, digest, raw in rows)
    await on_database(database_url, lambda c: command.downgrade(migrations_config(c), "0006"))
    assert await on_database(database_url, inbox) == [
        (10, "pending"),
        (11, "failed"),
        (12, "done"),
    ]


# -- helpers ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def sessions_on(url: str) -> AsyncIterator[Any]:
    engine = create_engine(url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


def start_migrate(url: str, cwd: Path, n: int) -> forked.Child:
    """`python -m bot migrate`, forked from the test worker's fork server (tests/children.py): a
    fresh interpreter spends seconds of CPU importing before it reaches the lock."""
    return forked.start(
        "bot",
        "migrate",
        env=child_env(database_url=url),
        cwd=cwd,
        stdout=cwd / f"migrate-{n}.out",
        stderr=cwd / f"migrate-{n}.err",
    )


WaitingCheck = Callable[[Sequence[int]], Awaitable[bool]]


def hold_sqlite_write_lock(db_path: Path):
    @contextlib.asynccontextmanager
    async def hold(_url: str) -> AsyncIterator[WaitingCheck]:
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("BEGIN IMMEDIATE")

        async def waiting(pids: Sequence[int]) -> bool:
            # A child that has the file open is in SQLite's busy wait for the write lock.
            return all(has_open(pid, db_path) for pid in pids)

        try:
            yield waiting
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    return hold


@contextlib.asynccontextmanager
async def hold_advisory_lock(url: str) -> AsyncIterator[WaitingCheck]:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://").replace("ssl=", "sslmode=")
    holder = await asyncpg.connect(dsn)
    await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)

    async def waiting(pids: Sequence[int]) -> bool:
        waiters = await holder.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return bool(waiters == len(pids))

    try:
        yield waiting
    finally:
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        await holder.close()


def has_open(pid: int, path: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    with contextlib.suppress(FileNotFoundError):
        for fd in os.listdir(folder):
            with contextlib.suppress(FileNotFoundError):
                if os.readlink(folder / fd) == str(path):
                    return True
    return False
