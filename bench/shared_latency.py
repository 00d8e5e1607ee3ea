"""How soon one process hears of what another wrote, on a throwaway PostgreSQL: LISTEN/NOTIFY
(storage/notices.py) against looking at the table now and then.

    .venv/bin/python -m bench.shared_latency [ROUNDS]

Two "processes" are two Database objects in this process, each on connections of its own, as
two bot processes have (a NOTIFY crosses connections alike). Two figures, each p50/p95/max over
ROUNDS, the rounds spaced at random so that the polls' phase is sampled evenly:

- a confirmation queued by a follower, until the leader's outbox sender has sent it to the
  emulator (without notices: the sender's IDLE_POLL_SECONDS look at the table);
- an update stored by one process, until another process claimed it (without notices: the
  claims' look every LOOK_SECONDS).
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.inbox.claims import InboxClaims
from bot.outbox import IDLE_POLL_SECONDS, OutboxSender
from emulator import DEFAULT_TOKEN, BotAPIEmulator
from storage import InboxRepository, OutboxPriority, OutboxRepository
from storage.claims import INBOX_CHANNEL, OUTBOX_CHANNEL, ClaimedRow
from storage.database import Database
from storage.notices import Notices
from storage.repositories import inbox_row
from tests.postgres import PostgresServer, find_binaries


async def confirmation_latency(url: str, emulator: BotAPIEmulator, *, notices: bool) -> float:
    """Seconds from a follower's commit of a message to the leader's send reaching Telegram."""
    follower, leader = Database(url), Database(url)
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    bot = Bot(DEFAULT_TOKEN, session=session)
    sender = OutboxSender(bot, leader.writer, rate=30)
    listening = Notices(url, {OUTBOX_CHANNEL: lambda _: sender.wake()} if notices else {})
    user = emulator.user("Buyer")
    for database in (follower, leader):
        database.start()
    sender.start()
    listening.start()
    await asyncio.sleep(1.0)  # connected, listening, idle

    async def one() -> float:
        since = emulator.mark()
        await follower.writer.write(
            lambda s: OutboxRepository(s).queue(user.id, "Thanks", priority=OutboxPriority.REPLY)
        )
        committed = time.monotonic()
        await emulator.wait_for("sendMessage", since=since, timeout=10)
        return emulator.calls("sendMessage")[-1].time - committed

    try:
        return await _rounds(one)
    finally:
        await listening.stop()
        await sender.stop(within=1)
        await bot.session.close()
        for database in (follower, leader):
            await database.close()


async def claim_latency(url: str, *, notices: bool) -> float:
    """Seconds from one process's commit of an update to another process's claim of it."""
    storer = Database(url)
    claims = InboxClaims(url)
    claimed: asyncio.Queue[float] = asyncio.Queue()

    def take(rows: list[ClaimedRow]) -> None:
        for _ in rows:
            claimed.put_nowait(time.monotonic())

    listening = Notices(url, {INBOX_CHANNEL: lambda _: claims.wake()} if notices else {})
    storer.start()
    claims.start(lambda: 100, take)
    listening.start()
    await asyncio.sleep(1.0)
    update_ids = iter(range(1, 1_000_000))

    async def one() -> float:
        update_id = next(update_ids)
        row = inbox_row(update_id, "message", update_id, json.dumps({"update_id": update_id}))
        await storer.writer.write(lambda s: InboxRepository(s).add([row]))
        committed = time.monotonic()
        return await asyncio.wait_for(claimed.get(), 10) - committed

    try:
        return await _rounds(one)
    finally:
        await listening.stop()
        await claims.stop()
        await storer.close()


ROUNDS = 40
_figures: dict[str, list[float]] = {}


async def _rounds(one: Callable[[], Awaitable[float]]) -> float:
    seconds = []
    for _ in range(ROUNDS):
        await asyncio.sleep(random.uniform(0.05, 1.1))
        seconds.append(await one())
    _figures["last"] = seconds
    return statistics.median(seconds)


def _line(name: str) -> str:
    ms = sorted(s * 1000 for s in _figures["last"])
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"{name:<46} p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f}  max {ms[-1]:7.1f}"


async def main() -> None:
    binaries = find_binaries()
    if binaries is None:
        sys.exit("needs PostgreSQL's initdb and pg_ctl (see tests/postgres.py)")
    server = PostgresServer(binaries)
    server.start()
    emulator = BotAPIEmulator(token=DEFAULT_TOKEN)
    await emulator.start()
    try:
        print(f"{ROUNDS} rounds each; the outbox looks every {IDLE_POLL_SECONDS:g} s when idle")
        for notices in (True, False):
            how = "LISTEN/NOTIFY" if notices else "polling only"
            url = server.url(await server.create_database(empty=False))
            await confirmation_latency(url, emulator, notices=notices)
            print(_line(f"confirmation, follower -> leader ({how})"))
        for notices in (True, False):
            how = "LISTEN/NOTIFY" if notices else "polling only"
            url = server.url(await server.create_database(empty=False))  # no rows left over
            await claim_latency(url, notices=notices)
            print(_line(f"claim of another's update ({how})"))
    finally:
        await emulator.stop()
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        ROUNDS = int(sys.argv[1])
    asyncio.run(main())
