"""Claims on the inbox by several processes on one PostgreSQL database (storage/claims.py): a
chat's pending rows are held by one process at a time and run in order, a lease that runs out or
a claimer's connection that closes (a killed process) lets another process take them, and a
release hands them over at once."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import InboxRepository, Writer, create_engine, create_session_factory
from storage.claims import ClaimedRow, claim, release, renew
from storage.repositories import inbox_row, mark_inbox_done
from tests.helpers import eventually, postgres_only

pytestmark = postgres_only


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


def named_engine(url: str, name: str) -> AsyncEngine:
    return create_async_engine(url, connect_args={"server_settings": {"application_name": name}})


@pytest.fixture
async def writers(database_url: str) -> AsyncIterator[list[Writer]]:
    """Two writers on connections of their own, named "p" and "q" as two processes name their
    claims connections (a claim holds while its connection is open)."""
    engines = [named_engine(database_url, name) for name in ("p", "q")]
    started = [Writer(create_session_factory(engine)) for engine in engines]
    for writer in started:
        writer.start()
    yield started
    for writer in started:
        await writer.stop()
    for engine in engines:
        await engine.dispose()


async def store(writer: Writer, chats: Sequence[int | None], first_update: int = 1) -> list[int]:
    """One pending update per entry of `chats` (None: an update without a chat), in order."""
    rows = [
        inbox_row(first_update + n, "message", chat, json.dumps({"update_id": first_update + n}))
        for n, chat in enumerate(chats)
    ]
    added = await writer.write(lambda session: InboxRepository(session).add(rows))
    return sorted(added.values())


async def take(writer: Writer, me: str, room: int, lease: float = 30.0) -> list[ClaimedRow]:
    return await writer.write(lambda session: claim(session, me, room, lease))


async def test_a_chat_held_by_one_process_is_left_alone_by_the_other(writers):
    p, q = writers
    ids = await store(p, [1, 2, 1, 3, 2, None, 3, 1])

    first = await take(p, "p", room=2)  # chat 1's first and chat 2's first
    second = await take(q, "q", room=100)  # chat 3's, the chatless one: not 1's or 2's
    third = await take(p, "p", room=100)  # the rest of 1 and 2, which p holds

    assert [r.id for r in first] == ids[:2]
    assert [r.id for r in second] == [ids[3], ids[5], ids[6]]
    assert [r.id for r in third] == [ids[2], ids[4], ids[7]]


async def test_two_processes_claiming_at_once_run_each_chats_updates_in_order(writers):
    chats = [n % 7 for n in range(140)]
    await store(writers[0], chats)
    ran: list[tuple[str, int, int]] = []  # (process, chat, row id) in the order they ran

    async def process(name: str, writer: Writer) -> None:
        while rows := await take(writer, name, room=5):
            for row in rows:  # in order, each marked done before the next runs, as the runner
                ran.append((name, chats[json.loads(row.raw)["update_id"] - 1], row.id))
                await asyncio.sleep(0)  # the other process's claim may come in between
                await writer.write_many(mark_inbox_done, row.id)

    await asyncio.gather(process("p", writers[0]), process("q", writers[1]))

    by_chat: dict[int, list[int]] = defaultdict(list)
    for _, chat, row_id in ran:
        by_chat[chat].append(row_id)
    assert len(ran) == 140
    assert all(ids == sorted(ids) for ids in by_chat.values())
    assert {name for name, _, _ in ran} == {"p", "q"}


async def test_rows_whose_lease_ran_out_are_claimed_by_another_process(writers):
    p, q = writers
    ids = await store(p, [1, 1, 2])
    assert [r.id for r in await take(p, "p", room=10, lease=1.0)] == ids

    assert await take(q, "q", room=10) == []  # held
    claimed = await eventually(lambda: take(q, "q", room=10), timeout=10)

    assert [r.id for r in claimed] == ids  # in order, the chat's first first


async def test_a_renewal_extends_the_lease_of_the_rows_held(writers, database_url):
    p = writers[0]
    await store(p, [1, 2])
    await take(p, "p", room=10, lease=1.0)

    assert await p.write(lambda session: renew(session, "p", 30.0)) == 2

    async with create_session_factory(p_engine := create_engine(database_url))() as session:
        query = text(
            "SELECT count(*) FROM inbox WHERE claimed_by = 'p' "
            "AND claimed_until > now() + interval '25 seconds'"
        )
        assert (await session.exec(query)).scalar() == 2  # type: ignore[call-overload]
    await p_engine.dispose()


async def test_a_released_process_hands_its_rows_over_at_once(writers):
    p, q = writers
    ids = await store(p, [1, 1, None])
    await take(p, "p", room=10)
    await p.write_many(mark_inbox_done, ids[0])  # handled before the stop: stays done

    assert await p.write(lambda session: release(session, "p")) == 2

    assert [r.id for r in await take(q, "q", room=10)] == ids[1:]


async def test_the_rows_of_a_process_whose_connection_closed_are_claimed_at_once(
    writers, database_url
):
    p = writers[0]
    ids = await store(p, [1, 1, 2])
    killed = named_engine(database_url, "killed")
    async with create_session_factory(killed)() as session:
        assert len(await claim(session, "killed", 10, 30.0)) == 3
        await session.commit()
        assert await take(p, "p", room=10) == []  # held while "killed" is connected
    await killed.dispose()  # its connection closes, as a killed process's does

    assert [r.id for r in await take(p, "p", room=10)] == ids
