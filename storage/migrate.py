"""Bring a database to this release's schema with Alembic, one process at a time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage.db import create_engine, read_only_sessions
from storage.locks import is_postgresql

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions (a test keeps this true). A database already at it
# is left alone without loading Alembic, which costs the running bot about 12 MB of memory.
HEAD_REVISION = "0010"

# The first release made these tables with create_all and kept no version: revision 0001.
FIRST_REVISION = "0001"
FIRST_RELEASE_TABLES = frozenset(
    {"audit_events", "entitlements", "outbox", "payments", "refunds", "sync_state"}
)
VERSION_TABLE = "alembic_version"

# PostgreSQL: the advisory lock that migrations take, a fixed key of our choosing.
MIGRATION_LOCK_KEY = 0x5354_4152_534D_4947  # "STARSMIG"
# SQLite: how long a process waits for another one's migration (the write lock) to finish.
MIGRATION_WAIT_MS = 120_000


class SchemaError(Exception):
    """A database the bot will not touch; the message is the one line the operator sees."""


class NewerSchema(SchemaError):
    """A newer release migrated the database: this one stops (exit code 3) and leaves it to
    the newer one's processes."""


def newer_schema_line(current: str) -> str:
    """What an old process says when it meets a newer release's schema."""
    return (
        f"a newer release migrated the database (schema version {current}, which this release "
        f"does not know; it knows up to {HEAD_REVISION}): stopping; run the newer release"
    )


def migrations_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for storage/migrations, running on `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade_schema(url: str) -> str:
    """Bring the database at `url` to the newest revision; returns that revision.

    An empty database gets every revision. One the first release made (all its tables, no
    version table) is stamped at 0001 and upgraded from there, keeping its rows. Anything else
    raises SchemaError. The whole check and upgrade is one transaction under a lock, so processes
    that start together take turns: the first migrates, the others find it done.
    """
    engine = create_engine(url, busy_timeout_ms=MIGRATION_WAIT_MS)
    try:
        async with engine.connect() as connection:
            if await connection.run_sync(_current_revision) == HEAD_REVISION:
                return HEAD_REVISION
        # SQLite: the engine begins with BEGIN IMMEDIATE, the database's write lock.
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            return await connection.run_sync(_upgrade)
    finally:
        await engine.dispose()


# Rows ANALYZE reads per index: bounded, so that a start on a 1 GB file takes about 2 s.
ANALYSIS_LIMIT = 400


async def refresh_statistics(url: str) -> None:
    """Let SQLite's query planner know the tables' sizes (ANALYZE), once per start.

    Without statistics SQLite guesses, and it guessed wrong where it mattered most: the
    pre-checkouts' "already owned?" look-up for a batch of buyers read every live entitlement
    through the index on `revoked_at` (all NULL), instead of each buyer's through `user_id`:
    220 ms a batch on a million payments, against 0.3 ms with statistics. PostgreSQL keeps its
    statistics itself (autovacuum)."""
    if is_postgresql(url):
        return
    engine = create_engine(url, busy_timeout_ms=MIGRATION_WAIT_MS)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            await connection.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()


def _current_revision(connection: Connection) -> str | None:
    """The revision the database is at, read without Alembic; None without a version table."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def _upgrade(connection: Connection) -> str:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = migrations_config(connection)
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
        if tables >= FIRST_RELEASE_TABLES:
            command.stamp(config, FIRST_REVISION)
        elif tables:
            raise SchemaError(_not_ours(tables))
    elif current not in known:
        raise NewerSchema(newer_schema_line(current))
    command.upgrade(config, "head")
    head = MigrationContext.configure(connection).get_current_revision()
    assert head is not None
    return head


def _not_ours(tables: set[str]) -> str:
    missing = sorted(FIRST_RELEASE_TABLES - tables)
    if tables & FIRST_RELEASE_TABLES:
        return (
            "the database has some of the shop's tables but not all (missing: "
            f"{', '.join(missing)}) and no schema version: restore it from a backup"
        )
    return (
        f"the database has tables that are not the shop's ({', '.join(sorted(tables))}): "
        "set DATABASE_URL to the shop's database or to an empty one"
    )


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema is, next to where this release wants it."""

    current: str | None  # None: no version table (an empty database, or the first release's)
    head: str  # this release's newest revision
    known: bool  # whether this release knows `current` (False: a newer release migrated it)

    @property
    def is_current(self) -> bool:
        """Whether the database is at this release's newest revision."""
        return self.current == self.head


async def read_schema_state(url: str) -> SchemaState:
    """The schema revision of the database at `url`, read without changing anything (see
    `read_only_sessions`; raises DatabaseNotFound for a SQLite file that is not there)."""
    from alembic.script import ScriptDirectory

    async with read_only_sessions(url) as readers, readers() as session:
        connection = await session.connection()
        current = await connection.run_sync(_current_revision)
    scripts = ScriptDirectory.from_config(migrations_config())
    known = current is None or any(s.revision == current for s in scripts.walk_revisions())
    return SchemaState(current=current, head=HEAD_REVISION, known=known)
