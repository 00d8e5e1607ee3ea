"""The flash sale of 2,000 in the three ways the bot runs, in one table.

- polling on SQLite, one process: the flash sale row of `make bench`;
- webhook mode on PostgreSQL, one process;
- webhook mode on PostgreSQL, two processes on the same database, the emulator posting each
  update to one or the other in turn, as a load balancer in front of them would.

Each beside the bare aiogram bot of the same run, which stays a polling bot with no database:
the cost of Telegram's side (the emulator) and of aiogram, which no set-up of ours can go below.
The PostgreSQL server is a throwaway one, started here and stopped after (tests/postgres.py); its
own CPU is shown apart, as the bot processes' figure does not hold the database's work there,
while on SQLite it does (SQLite runs inside the bot process).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.flash_sale import (
    BARE,
    SHOP,
    BotChild,
    Progress,
    SaleResult,
    cpu_seconds,
    fresh_folder,
    measure_sale,
    proc_stat,
    run_sale,
)
from emulator import BotAPIEmulator
from tests.postgres import PostgresServer, find_binaries, free_port, unavailable_reason

BUYERS = 2000
# Telegram's rules for both (the emulator routes the https address to the processes' ports).
WEBHOOK_URL = "https://shop.example.com/telegram/updates"
WEBHOOK_SECRET = "bench-webhook-secret-0123456789abcdefABCDEF"
NO_POSTGRES = "skipped: no PostgreSQL"


@dataclass
class ScaleRow:
    setup: str
    sale: SaleResult | None  # None when skipped
    database_cpu_ms_per_buyer: float | None = None  # the PostgreSQL server's, all its processes
    failed_posts: int = 0  # webhook posts not answered 2xx in time, which Telegram sends again


@dataclass
class Scale:
    bare: SaleResult
    rows: list[ScaleRow]


async def run_scale(
    work: Path,
    progress: Progress,
    *,
    bare: SaleResult | None = None,
    sqlite: SaleResult | None = None,
) -> Scale:
    """The three sales and the bare bot's; `bare` and `sqlite` are the flash sale's of 2,000 when
    this run has already measured them."""
    if bare is None:
        bare = await run_sale(BARE, BUYERS, fresh_folder(work, "scale-bare"), progress)
    if sqlite is None:
        sqlite = await run_sale(SHOP, BUYERS, fresh_folder(work, "scale-sqlite"), progress)
    rows = [ScaleRow("polling, SQLite, 1 process", sqlite)]
    binaries = find_binaries()
    if binaries is None or unavailable_reason() is not None:
        return Scale(bare, rows + [ScaleRow(_webhook_setup(n), None) for n in (1, 2)])
    server = PostgresServer(binaries)
    try:
        await asyncio.to_thread(server.start)
        for processes in (1, 2):
            rows.append(await webhook_sale(server, processes, work, progress))
    finally:
        await asyncio.to_thread(server.stop)
    return Scale(bare, rows)


async def webhook_sale(
    server: PostgresServer, processes: int, work: Path, progress: Progress
) -> ScaleRow:
    """The sale against `processes` bot processes in webhook mode on one new database."""
    database = await server.create_database(empty=False)
    emulator = BotAPIEmulator()
    await emulator.start()
    listen = [f"127.0.0.1:{free_port()}" for _ in range(processes)]
    emulator.route_webhook(WEBHOOK_URL, *(f"http://{address}" for address in listen))
    bots = [
        BotChild(SHOP, emulator, fresh_folder(work, f"webhook{processes}-{n}"), database_url=url)
        for n, url in enumerate([server.url(database)] * processes)
    ]
    try:
        for n, (bot, address) in enumerate(zip(bots, listen, strict=True)):
            # The first sets the webhook; the others only listen, as followers.
            await bot.start(
                "webhook set" if n == 0 else "webhook mode: listening",
                webhook_url=WEBHOOK_URL,
                webhook_secret=WEBHOOK_SECRET,
                webhook_listen=address,
            )
        people = [emulator.user(f"Buyer {n}") for n in range(BUYERS)]
        database_cpu = _cpu_over(lambda: server_cpu_seconds(server))
        sale = await measure_sale(emulator, bots, people, progress)
        failed = sum(1 for attempt in emulator.webhook.attempts if attempt.error is not None)
        return ScaleRow(_webhook_setup(processes), sale, 1000 * database_cpu() / BUYERS, failed)
    finally:
        for bot in bots:
            await bot.stop()
        await emulator.stop()
        await server.drop_database(database)


def server_cpu_seconds(server: PostgresServer) -> float:
    """The PostgreSQL server's CPU time so far: the postmaster's, its live processes' (the
    backends, the WAL writer ...), and those of its processes that have ended, which the
    postmaster has waited for."""
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    total = cpu_seconds(proc_stat(postmaster), waited_children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == postmaster:
            continue
        try:
            fields = proc_stat(int(entry.name))
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == postmaster:
            total += cpu_seconds(fields)
    return total


def report_scale(scale: Scale) -> None:
    """One line per set-up; the p99 and the bot processes' CPU with their ratio to the bare
    bot's, which is the first line."""
    bare = scale.bare
    print(
        f"\n{BUYERS:,} buyers at once, by how the bot runs"
        f"\n{'':34} {'pre-checkout':>12} {'':>14} {'payments':>10} {'CPU per buyer':>16}"
        f" {'':>10} {'':>9}"
        f"\n{'':34} {'p50':>12} {'p99':>14} {'stored/s':>10} {'bot processes':>16}"
        f" {'PostgreSQL':>10} {'emulator':>9}"
    )
    print(
        f"{'bare aiogram (polling, no database)':34} {bare.p50:>10.2f} s {bare.p99:>12.2f} s "
        f"{'-':>10} {bare.cpu_ms_per_buyer:>13.1f} ms {'-':>10} "
        f"{_ms(bare.emulator_cpu_ms_per_buyer):>9}"
    )
    for row in scale.rows:
        sale = row.sale
        if sale is None:
            print(f"{row.setup:34} {NO_POSTGRES}")
            continue
        stored = f"{sale.stored_per_second:,.0f}" if sale.stored_per_second else "-"
        cpu = sale.cpu_ms_per_buyer
        database = row.database_cpu_ms_per_buyer
        print(
            f"{row.setup:34} {sale.p50:>10.2f} s "
            f"{sale.p99:>5.2f} s ({sale.p99 / bare.p99:4.1f}x) {stored:>10} "
            f"{cpu:>5.1f} ms ({cpu / bare.cpu_ms_per_buyer:4.1f}x)"
            f" {_ms(database):>10} {_ms(sale.emulator_cpu_ms_per_buyer):>9}"
        )
    for row in scale.rows:
        if row.sale and row.sale.answered < BUYERS:
            print(
                f"{row.setup}: {row.sale.answered:,} pre-checkouts answered within Telegram's 10 s"
            )
        if row.failed_posts:
            print(f"{row.setup}: {row.failed_posts:,} webhook posts failed and were sent again")


def scale_figures(scale: Scale) -> list[dict[str, object]]:
    """The table as data, for bench/results."""
    rows: list[dict[str, object]] = [{"setup": "bare aiogram", **scale.bare.__dict__}]
    for row in scale.rows:
        figures = row.sale.__dict__ if row.sale else {"skipped": NO_POSTGRES}
        rows.append(
            {
                "setup": row.setup,
                **figures,
                "database_cpu_ms_per_buyer": row.database_cpu_ms_per_buyer,
                "failed_posts": row.failed_posts,
            }
        )
    return rows


def _ms(value: float | None) -> str:
    return f"{value:.1f} ms" if value is not None else "-"


def _cpu_over(read: Callable[[], float]) -> Callable[[], float]:
    """A clock of CPU seconds from now: call it for the time used since."""
    start = read()
    return lambda: read() - start


def _webhook_setup(processes: int) -> str:
    return f"webhook, PostgreSQL, {processes} process{'es' if processes > 1 else ''}"
