"""The suite's PostgreSQL databases are reused: a test never sees another test's rows, locks
or schema changes."""

from __future__ import annotations

import asyncpg
import pytest

from tests.postgres import PostgresServer


@pytest.fixture
def server(postgres_server: PostgresServer) -> PostgresServer:
    return postgres_server


async def connect(server: PostgresServer, name: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        host="127.0.0.1", port=server.port, user="postgres", database=name, ssl=False
    )


async def test_a_database_given_back_comes_back_empty_unlocked_and_numbered_anew(server):
    name = await server.lease_database()
    first = await connect(server, name)
    await first.execute(
        "INSERT INTO sync_state (name, value) VALUES ('x', 1); "
        "INSERT INTO outbox (chat_id, priority, text, attempts, created_at, next_attempt_at, "
        "protect_content) VALUES (1, 0, 'hi', 0, now(), now(), false)"
    )
    await first.execute("SELECT pg_advisory_lock(42)")  # left held, as a killed bot leaves it
    await server.give_back(name)

    assert await server.lease_database() == name
    second = await connect(server, name)
    try:
        assert await second.fetchval("SELECT count(*) FROM sync_state") == 0
        assert await second.fetchval("SELECT pg_try_advisory_lock(42)") is True
        outbox_id = await second.fetchval(
            "INSERT INTO outbox (chat_id, priority, text, attempts, created_at, "
            "next_attempt_at, protect_content) VALUES (1, 0, 'hi', 0, now(), now(), false) "
            "RETURNING id"
        )
        assert outbox_id == 1
    finally:
        await second.close()
        await server.give_back(name)
    assert not await _alive(first)  # the connection the first test left was ended


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE sync_state ADD COLUMN extra integer",
        "ALTER TABLE payments RENAME TO payments_away",
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'no'; END $$; "
        "CREATE TRIGGER refuse BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION refuse()",
        "CREATE FUNCTION helper() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
    ],
)
async def test_a_database_whose_schema_a_test_changed_is_dropped_not_reused(server, change):
    name = await server.lease_database()
    connection = await connect(server, name)
    await connection.execute(change)
    await connection.close()
    await server.give_back(name)

    other = await server.lease_database()
    assert other != name
    await server.give_back(other)


async def _alive(connection: asyncpg.Connection) -> bool:
    try:
        await connection.fetchval("SELECT 1")
    except (asyncpg.PostgresError, ConnectionError, OSError, asyncpg.InterfaceError):
        return False
    return True
