"""Periodic jobs run on one helper, and shutdown handlers run last-first."""

from __future__ import annotations

import asyncio
import itertools
import time

from aiogram import Dispatcher, Router
from loguru import logger

from bot.lifecycle import Every, emit_shutdown


async def test_a_job_runs_at_start_then_after_each_interval_until_stopped():
    runs: list[float] = []
    third = asyncio.Event()

    async def job() -> None:
        runs.append(time.monotonic())
        if len(runs) == 3:
            third.set()

    every = Every(0.05, job, name="counting")
    every.start()
    await asyncio.wait_for(third.wait(), 5)
    await every.stop()

    assert len(runs) >= 3
    assert all(later - earlier >= 0.04 for earlier, later in itertools.pairwise(runs))


async def test_a_failing_run_is_logged_and_the_next_one_comes_on_time():
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(m.record["message"]), level="ERROR")
    runs = 0
    again = asyncio.Event()

    async def job() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("the database went away")
        again.set()

    every = Every(0.01, job, name="reconciliation")
    try:
        every.start()
        await asyncio.wait_for(again.wait(), 5)
        await every.stop()
    finally:
        logger.remove(sink)
    assert lines == ["reconciliation failed: RuntimeError: the database went away"]


async def test_an_interval_of_zero_runs_the_job_once_at_start():
    ran = asyncio.Event()
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1
        ran.set()

    every = Every(0, job, name="once")
    every.start()
    await asyncio.wait_for(ran.wait(), 5)
    await asyncio.wait_for(every.finished(), 5)  # it ends by itself after the one run
    assert runs == 1


async def test_stop_cuts_a_long_run_short():
    started = asyncio.Event()

    async def job() -> None:
        started.set()
        await asyncio.Event().wait()

    every = Every(3600, job, name="endless")
    every.start()
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(every.stop(), 1)


async def test_shutdown_handlers_run_in_the_reverse_order_of_startup():
    order: list[str] = []
    dispatcher = Dispatcher()
    first, second = Router(name="first"), Router(name="second")
    dispatcher.include_routers(first, second)

    def record(name: str):
        async def handler() -> None:
            order.append(name)

        return handler

    for router, names in ((dispatcher, ("core a", "core b")), (first, ("first",)), (second, ())):
        for name in names:
            router.startup.register(record(f"start {name}"))
            router.shutdown.register(record(f"stop {name}"))
    second.shutdown.register(record("stop second"))

    await dispatcher.emit_startup()
    await emit_shutdown(dispatcher, stop_deadline=time.monotonic() + 5)

    assert order == [
        "start core a",
        "start core b",
        "start first",
        "stop second",
        "stop first",
        "stop core b",
        "stop core a",
    ]


async def test_a_failing_or_slow_shutdown_handler_does_not_stop_the_others(monkeypatch):
    monkeypatch.setattr("bot.lifecycle.SHUTDOWN_FLOOR_SECONDS", 0.05)
    order: list[str] = []
    dispatcher = Dispatcher()

    async def close_database() -> None:
        order.append("database closed")

    async def broken() -> None:
        raise RuntimeError("broken")

    async def hangs() -> None:
        await asyncio.Event().wait()

    for handler in (close_database, broken, hangs):
        dispatcher.shutdown.register(handler)

    await asyncio.wait_for(emit_shutdown(dispatcher, stop_deadline=time.monotonic()), 2)
    assert order == ["database closed"]
