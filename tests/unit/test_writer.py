"""Group commit: writes that arrive together share a transaction; a failing one fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from storage import (
    OutboxMessage,
    OutboxPriority,
    OutboxRepository,
    SyncState,
    SyncStateRepository,
    Writer,
    create_engine,
    create_session_factory,
)
from storage.repositories import most_urgent


def set_counter(name: str, value: int):
    return lambda session: SyncStateRepository(session).set(name, value)


async def counters(sessions) -> dict[str, int]:
    async with sessions() as session:
        return {row.name: row.value for row in (await session.exec(select(SyncState))).all()}


async def test_writes_that_arrive_together_share_one_commit(sessions, writer, commits):
    before = commits.count
    await asyncio.gather(*(writer.write(set_counter(f"c{n}", n)) for n in range(50)))
    assert await counters(sessions) == {f"c{n}": n for n in range(50)}
    assert commits.count - before == 1  # all were queued before the writer task ran


async def test_a_lone_write_is_committed_at_once(sessions, writer, commits):
    before = commits.count
    await writer.write(set_counter("alone", 1))
    assert commits.count - before == 1
    assert await counters(sessions) == {"alone": 1}


async def test_a_failing_write_rolls_back_alone_and_its_caller_gets_the_error(sessions, writer):
    async def broken(session):
        await SyncStateRepository(session).set("half_done", 1)
        raise ValueError("a bug in this write")

    results = await asyncio.gather(
        writer.write(set_counter("before", 1)),
        writer.write(broken),
        writer.write(set_counter("after", 2)),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    assert await counters(sessions) == {"before": 1, "after": 2}


async def test_a_batch_with_one_bad_item_stores_the_others(sessions, writer):
    applied: list[list[int]] = []

    async def store_numbers(session, numbers):
        applied.append(list(numbers))
        for number in numbers:
            if number == 13:
                raise IntegrityError("INSERT", {}, Exception("constraint failed"))
            await SyncStateRepository(session).set(f"n{number}", number)
        return [f"stored {n}" for n in numbers]

    results = await asyncio.gather(
        *(writer.write_many(store_numbers, n) for n in range(20)), return_exceptions=True
    )
    assert isinstance(results[13], IntegrityError)
    assert [r for i, r in enumerate(results) if i != 13] == [
        f"stored {n}" for n in range(20) if n != 13
    ]
    assert await counters(sessions) == {f"n{n}": n for n in range(20) if n != 13}
    assert applied[0] == list(range(20))  # tried as one batch first, then one by one
    assert applied[1:] == [[n] for n in range(20)]


async def test_a_failed_commit_fails_every_write_in_it_and_the_writer_goes_on(
    db_path, database_url, sessions
):
    engine = create_engine(database_url, busy_timeout_ms=100)
    writer = Writer(create_session_factory(engine))
    writer.start()
    release, locked = threading.Event(), threading.Event()

    def hold_lock() -> None:
        connection = sqlite3.connect(db_path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(10)
        connection.execute("ROLLBACK")
        connection.close()

    holder = asyncio.ensure_future(asyncio.to_thread(hold_lock))
    await asyncio.to_thread(locked.wait, 10)
    try:
        results = await asyncio.gather(
            writer.write(set_counter("a", 1)),
            writer.write(set_counter("b", 2)),
            return_exceptions=True,
        )
    finally:
        release.set()
        await holder
    assert all(isinstance(r, OperationalError) for r in results)
    await writer.write(set_counter("c", 3))
    await writer.stop()
    await engine.dispose()
    assert await counters(sessions) == {"c": 3}


async def test_listeners_hear_what_a_commit_changed(writer):
    heard: list[set[str]] = []
    writer.after_commit.append(heard.append)
    await writer.write(set_counter("quiet", 1))
    await writer.write(
        lambda session: OutboxRepository(session).queue(7, "hello", priority=OutboxPriority.REPLY)
    )
    # What changed, and the most urgent priority queued (for the outbox's sender).
    assert heard == [{"outbox", "outbox:1"}]
    assert most_urgent(heard[0]) == OutboxPriority.REPLY


async def test_stop_commits_what_was_submitted_then_refuses_writes(sessions, writer):
    pending = asyncio.ensure_future(
        writer.write(
            lambda session: OutboxRepository(session).queue(
                7, "last words", priority=OutboxPriority.REPLY
            )
        )
    )
    await asyncio.sleep(0)
    await writer.stop()
    assert await pending
    async with sessions() as session:
        assert len((await session.exec(select(OutboxMessage))).all()) == 1
    with pytest.raises(RuntimeError):
        await writer.write(set_counter("late", 1))
