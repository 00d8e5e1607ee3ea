"""Buyers paying at once over loopback, against the bot as its own process.

The bot runs as a child process (`python -m bot`, or the bare aiogram baseline), the Bot API
emulator in this one; they talk HTTP on 127.0.0.1 as the bot would talk to Telegram. Buyers who
hold invoices press Pay at once; once every pre-checkout is answered, all their payments arrive
at once. Measured: when each pre-checkout was answered (as the emulator saw it), how fast the
payments are stored, the bot process's peak memory, and the CPU time the bot process spent per
buyer (read from /proc, so the emulator's share, in this process, is not counted).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

from bot.services.offers import PayloadSigner
from emulator import BotAPIEmulator, User
from tests.e2e.process import child_env

PRODUCT, PRICE = "gold", 25  # a one-time product: every pre-checkout looks ownership up
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """How to start one bot process against the emulator."""

    name: str
    module: str
    stores_payments: bool


BARE = Target("bare aiogram", "bench.bare_bot", stores_payments=False)
SHOP = Target("shop bot", "bot", stores_payments=True)


@dataclass
class SaleResult:
    buyers: int
    answered: int
    p50: float  # seconds from Pay to the bot's answer
    p99: float
    stored_per_second: float | None  # None for the baseline, which stores nothing
    peak_rss_mib: float
    cpu_ms_per_buyer: float  # the bot process's, from Pay to the last confirmation
    # This process's over the same time: the emulator's, Telegram's side, and the bench's own.
    emulator_cpu_ms_per_buyer: float | None = None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def migrate(database: Path) -> None:
    """Create the schema first, as `python -m bot migrate` does on an upgrade: the bot then
    starts on a current database, as it does every time but the first."""
    env = child_env(database_url=f"sqlite+aiosqlite:///{database}")
    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"], env=env, check=True, capture_output=True
    )


class BotChild:
    """The bot under test as a child process."""

    def __init__(
        self,
        target: Target,
        emulator: BotAPIEmulator,
        workdir: Path,
        database: Path | None = None,
        *,
        database_url: str | None = None,
    ) -> None:
        """On the SQLite file `database` (workdir/shop.db by default, migrated at start), or on
        `database_url`, a PostgreSQL database already at this release's schema."""
        self.target = target
        self.emulator = emulator
        self.database = database or workdir / "shop.db"
        self.database_url = database_url or f"sqlite+aiosqlite:///{self.database}"
        self.log = workdir / f"{target.module}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, ready: str | None = None, **variables: object) -> None:
        """Start the process and wait until it polls, or (webhook mode, or a process that does
        not poll) until its log says `ready`."""
        sqlite = database_url_is_sqlite(self.database_url)
        if self.target.stores_payments and sqlite and not self.database.exists():
            migrate(self.database)
        env = child_env(
            bot_token=self.emulator.token,
            telegram_api_base=self.emulator.base_url,
            database_url=self.database_url,
            reconcile_interval=0,
            **variables,
        )
        since = self.emulator.mark()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", self.target.module, env=env, stdout=log, stderr=log
            )
        if ready is None:
            await self.emulator.wait_for("getUpdates", since=since, answered=False, timeout=60)
        else:
            await self.wait_for_log(ready, timeout=60)

    async def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"{self.target.name} exited; see {self.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} not in {self.log} within {timeout:.0f} s")
            await asyncio.sleep(0.05)

    async def stored_counter(self, expected: int) -> StoredCounter | PostgresStoredCounter:
        """What watches this bot's database until `expected` more payments are stored."""
        if database_url_is_sqlite(self.database_url):
            return StoredCounter(self.database, expected)
        return await PostgresStoredCounter.start(self.database_url, expected)

    def cpu_seconds(self) -> float:
        """The CPU time (user and system, every thread) the bot process has used so far."""
        assert self.process is not None
        return cpu_seconds(proc_stat(self.process.pid))

    def peak_rss_mib(self) -> float:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = next(int(line.split()[1]) for line in status.splitlines() if "VmHWM" in line)
        return kib / 1024

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def proc_stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which is in parentheses and may
    hold spaces): [0] is the state, [1] the parent's pid, [11] and [12] utime and stime, [13]
    and [14] the same for the children it has waited for, all in clock ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def cpu_seconds(fields: list[str], *, waited_children: bool = False) -> float:
    """The CPU time (user and system, every thread) in `proc_stat` fields, and with
    `waited_children` that of its children which have ended."""
    ticks = int(fields[11]) + int(fields[12])
    if waited_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


class StoredCounter:
    """Watches the bot's database from a thread until `expected` more payments are stored.

    It counts only rows past the highest id stored when it starts: counting the whole table
    every few milliseconds would cost the machine far more on a full database than on an empty
    one, and so slow the bot it measures."""

    def __init__(self, database: Path, expected: int) -> None:
        self.database = database
        self.expected = expected
        with sqlite3.connect(database, timeout=5) as connection:
            (last,) = connection.execute("SELECT coalesce(max(id), 0) FROM payments").fetchone()
        self.after_id = int(last)
        self.done_at: float | None = None
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                with sqlite3.connect(self.database, timeout=5) as connection:
                    (count,) = connection.execute(
                        "SELECT count(*) FROM payments WHERE id > ?", (self.after_id,)
                    ).fetchone()
            except sqlite3.Error:
                count = 0
            if count >= self.expected:
                self.done_at = time.monotonic()
                return
            time.sleep(0.005)

    async def wait(self) -> float | None:
        await asyncio.to_thread(self._thread.join)
        return self.done_at


class PostgresStoredCounter:
    """StoredCounter's twin for PostgreSQL, on this process's loop (asyncpg has no thread-safe
    API): one indexed count every 10 ms costs the server and the emulator little."""

    def __init__(self, connection: asyncpg.Connection, after_id: int, expected: int) -> None:
        self.connection, self.after_id, self.expected = connection, after_id, expected
        self._task = asyncio.create_task(self._watch())

    @classmethod
    async def start(cls, database_url: str, expected: int) -> PostgresStoredCounter:
        url = make_url(database_url)
        connection = await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, database=url.database, ssl=False
        )
        last = await connection.fetchval("SELECT coalesce(max(id), 0) FROM payments")
        return cls(connection, int(last), expected)

    async def _watch(self) -> float | None:
        deadline = time.monotonic() + 600
        try:
            while time.monotonic() < deadline:
                count = await self.connection.fetchval(
                    "SELECT count(*) FROM payments WHERE id > $1", self.after_id
                )
                if count >= self.expected:
                    return time.monotonic()
                await asyncio.sleep(0.01)
            return None
        finally:
            await self.connection.close()

    async def wait(self) -> float | None:
        return await self._task


def database_url_is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Crowd:
    """Buyers of one product, paying through the emulator."""

    def __init__(
        self, emulator: BotAPIEmulator, product: str = PRODUCT, price: int = PRICE
    ) -> None:
        self.emulator = emulator
        self.signer = PayloadSigner(emulator.token)
        self.product, self.price = product, price
        self.refusals: list[str | None] = []  # why each refused pre-checkout was refused
        self.paying: set[int] = set()  # the buyers whose pre-checkout was accepted

    async def pay(self, people: list[User], child: BotChild) -> tuple[list[float], float | None]:
        """Everyone presses Pay at once; then every accepted payment arrives at once.

        Returns the pre-checkout answer times, and payments stored per second (None when the
        bot stores none)."""
        checkouts = await asyncio.gather(
            *(
                self.emulator.pre_checkout(
                    person,
                    payload=self.signer.encode(self.product, self.price),
                    total_amount=self.price,
                )
                for person in people
            )
        )
        self.refusals += [c.error_message for c in checkouts if not c.ok]
        self.paying |= {person.id for person, c in zip(people, checkouts, strict=True) if c.ok}
        answers = [c.answered_in for c in checkouts if c.answered_in is not None]
        accepted = [c for c in checkouts if c.ok]
        if not child.target.stores_payments or not accepted:
            paid = [self.emulator.complete_payment(checkout) for checkout in accepted]
            if paid:  # the baseline stores nothing: wait until it has fetched them all
                last = max(p.successful_payment_update_id or 0 for p in paid)
                await self.emulator.wait_confirmed(last, timeout=600)
            return answers, None
        counter = await child.stored_counter(len(accepted))
        queued_at = time.monotonic()
        for checkout in accepted:
            self.emulator.complete_payment(checkout)
        done_at = await counter.wait()
        rate = len(accepted) / max(done_at - queued_at, 1e-6) if done_at else None
        return answers, rate


async def run_sale(
    target: Target,
    buyers: int,
    workdir: Path,
    progress: Progress,
    *,
    database: Path | None = None,
    existing_buyers: range | None = None,
) -> SaleResult:
    """One bot process, one emulator, `buyers` paying at once. Buyers are new users, or the
    users `existing_buyers` names (ids already in `database`)."""
    emulator = BotAPIEmulator()
    await emulator.start()
    child = BotChild(target, emulator, workdir, database)
    try:
        await child.start()
        ids = list(existing_buyers or [])[:buyers]
        people = [emulator.user(f"Buyer {n}", id=ids[n] if ids else None) for n in range(buyers)]
        return await measure_sale(emulator, [child], people, progress)
    finally:
        await child.stop()
        await emulator.stop()


async def measure_sale(
    emulator: BotAPIEmulator, bots: list[BotChild], people: list[User], progress: Progress
) -> SaleResult:
    """`people` press Pay at once, then pay, served by `bots` (processes of one target on one
    database); the CPU per buyer is theirs summed, the peak RSS the largest."""
    target = bots[0].target
    progress(f"{target.name}: {len(people)} buyers press Pay")
    cpu_before, emulator_before = sum(bot.cpu_seconds() for bot in bots), time.process_time()
    since = emulator.mark()
    crowd = Crowd(emulator)
    answers, rate = await crowd.pay(people, bots[0])
    if target.stores_payments:
        await confirmations(emulator, crowd.paying, since)
    cpu = sum(bot.cpu_seconds() for bot in bots) - cpu_before
    return SaleResult(
        buyers=len(people),
        answered=len(answers),
        p50=statistics.median(answers) if answers else float("nan"),
        p99=percentile(answers, 0.99) if answers else float("nan"),
        stored_per_second=rate,
        peak_rss_mib=max(bot.peak_rss_mib() for bot in bots),
        cpu_ms_per_buyer=1000 * cpu / len(people),
        emulator_cpu_ms_per_buyer=1000 * (time.process_time() - emulator_before) / len(people),
    )


async def confirmations(emulator: BotAPIEmulator, buyers: set[int], since: int) -> None:
    """Until the bot has asked to send each of `buyers` a message (their confirmation) since
    `since`.

    The outbox sends them at its rate, so this takes a while; the bench looks every 50 ms,
    reading only the requests that came since it last looked, so that waiting costs little of
    the CPU the bot shares."""
    waiting, seen = {str(buyer) for buyer in buyers}, since
    deadline = time.monotonic() + 600
    while waiting:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(waiting)} buyers got no confirmation within 600 s")
        requests = emulator.requests[seen:]
        seen += len(requests)
        for request in requests:
            if request.method == "sendMessage":
                waiting.discard(str(request.params.get("chat_id")))
        await asyncio.sleep(0.05)


async def run_waves(
    target: Target, total: int, wave: int, workdir: Path, progress: Progress
) -> float:
    """`total` payments in waves of `wave` buyers; returns the bot's peak RSS in MiB."""
    emulator = BotAPIEmulator()
    await emulator.start()
    child = BotChild(target, emulator, workdir)
    crowd = Crowd(emulator)
    try:
        await child.start()
        for done in range(0, total, wave):
            progress(f"{target.name}: {done:,} of {total:,} payments")
            people = [emulator.user(f"Buyer {done + n}") for n in range(wave)]
            await crowd.pay(people, child)
        return child.peak_rss_mib()
    finally:
        await child.stop()
        await emulator.stop()


def fresh_folder(work: Path, name: str) -> Path:
    """A folder of `work` for one bot process's database and log."""
    folder = work / name
    folder.mkdir(exist_ok=True)
    return folder


def machine() -> dict[str, object]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform}
