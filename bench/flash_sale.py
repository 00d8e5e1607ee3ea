"""A flash sale over loopback: N buyers who hold invoices press Pay at once.

The bot runs as its own process (`python -m bot`, or the bare aiogram baseline), the Bot API
emulator in this one; they talk HTTP on 127.0.0.1 as the bot would talk to Telegram. Measured:
when each pre-checkout was answered (as the emulator saw it), how fast the payments that follow
are stored, and the bot process's peak memory.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.services.offers import PayloadSigner
from tests.e2e.process import child_env
from tests.emulator import BotAPIEmulator

PRODUCT, PRICE = "gold", 25  # a one-time product: every pre-checkout looks ownership up


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
    answered: int
    p50: float
    p99: float
    stored_per_second: float | None
    peak_rss_mib: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class BotChild:
    """The bot under test as a child process."""

    def __init__(self, target: Target, emulator: BotAPIEmulator, workdir: Path) -> None:
        self.target = target
        self.emulator = emulator
        self.database = workdir / "shop.db"
        self.log = workdir / f"{target.module}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, **variables: object) -> None:
        env = child_env(
            bot_token=self.emulator.token,
            telegram_api_base=self.emulator.base_url,
            database_url=f"sqlite+aiosqlite:///{self.database}",
            reconcile_interval=0,
            **variables,
        )
        since = self.emulator.mark()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", self.target.module, env=env, stdout=log, stderr=log
            )
        await self.emulator.wait_for("getUpdates", since=since, answered=False, timeout=60)

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


class StoredCounter:
    """Watches the bot's database from a thread until `expected` payments are stored."""

    def __init__(self, database: Path, expected: int) -> None:
        self.database = database
        self.expected = expected
        self.done_at: float | None = None
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                with sqlite3.connect(self.database, timeout=5) as connection:
                    (count,) = connection.execute("SELECT count(*) FROM payments").fetchone()
            except sqlite3.Error:
                count = 0
            if count >= self.expected:
                self.done_at = time.monotonic()
                return
            time.sleep(0.005)

    async def wait(self) -> float | None:
        await asyncio.to_thread(self._thread.join)
        return self.done_at


async def run_sale(
    target: Target,
    buyers: int,
    workdir: Path,
    progress: Callable[[str], None] = lambda _: None,
    **variables: object,
) -> SaleResult:
    """One bot process, one emulator, `buyers` payments at once; returns what was measured."""
    emulator = BotAPIEmulator()
    await emulator.start()
    child = BotChild(target, emulator, workdir)
    try:
        await child.start(**variables)
        signer = PayloadSigner(emulator.token)
        people = [emulator.user(f"Buyer {n}") for n in range(buyers)]
        payloads = [signer.encode(PRODUCT, PRICE) for _ in people]

        progress(f"{target.name}: {buyers} buyers press Pay")
        checkouts = await asyncio.gather(
            *(
                emulator.pre_checkout(person, payload=payload, total_amount=PRICE)
                for person, payload in zip(people, payloads, strict=True)
            )
        )
        answers = [c.answered_in for c in checkouts]
        accepted = [c for c in checkouts if c.ok]
        stored_per_second = None
        if target.stores_payments and accepted:
            progress(f"{target.name}: {len(accepted)} payments arrive at once")
            counter = StoredCounter(child.database, len(accepted))
            counter.start()
            queued_at = time.monotonic()
            for checkout in accepted:
                emulator.complete_payment(checkout)
            done_at = await counter.wait()
            if done_at is not None:
                stored_per_second = len(accepted) / max(done_at - queued_at, 1e-6)
        latencies = [a for a in answers if a is not None]
        rss = child.peak_rss_mib()
        return SaleResult(
            answered=len(latencies),
            p50=statistics.median(latencies) if latencies else float("nan"),
            p99=percentile(latencies, 0.99) if latencies else float("nan"),
            stored_per_second=stored_per_second,
            peak_rss_mib=rss,
        )
    finally:
        await child.stop()
        await emulator.stop()


async def _main(buyers: int) -> None:
    import tempfile

    for target in (BARE, SHOP):
        with tempfile.TemporaryDirectory() as tmp:
            result = await run_sale(target, buyers, Path(tmp), lambda m: print(m, flush=True))
        print(target.name, result, flush=True)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
