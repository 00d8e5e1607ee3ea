"""`make bench`: the shop bot's speed and memory, each beside a baseline measured in this run.

Figures only: nothing here passes or fails. Machines are noisy, so compare the ratios of one
run, not figures across runs. Results are printed as one table and written as JSON to
bench/results/.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loguru import logger

from bench import big_database
from bench.flash_sale import (
    BARE,
    SHOP,
    SaleResult,
    fresh_folder,
    machine,
    run_sale,
    run_waves,
)
from bench.limited import BUYERS, UNITS, run_limited_sale
from bench.scale import Scale, report_scale, run_scale, scale_figures
from bench.storage import CONCURRENCY, payments_per_second

RESULTS = Path(__file__).with_name("results")
BIG = 1_000_000
MEMORY_PAYMENTS, MEMORY_WAVE = 100_000, 2_000
STORED = 2_500  # payments stored in process, by each writer
FLAT_SALE = 500  # buyers in the sale run on an empty and on a full database


@dataclass
class Row:
    """One line of the table: what was measured, the baseline's figure and the shop bot's."""

    what: str
    baseline: float | None
    shop: float | None
    unit: str
    target: str
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline and self.shop is not None:
            return self.shop / self.baseline
        return None


@dataclass
class Bench:
    rows: list[Row] = field(default_factory=list)
    # The shop bot's sale of 500 on an empty database: the baseline of the full database's.
    empty_sale: SaleResult | None = None
    # The bare bot's and the shop bot's sale of 2,000, in polling mode on SQLite: the scale
    # table's first two lines.
    sale_2000: tuple[SaleResult, SaleResult] | None = None
    scale: Scale | None = None
    steps: int = 7
    step: int = 0
    began: float = field(default_factory=time.monotonic)

    def progress(self, what: str) -> None:
        elapsed = time.monotonic() - self.began
        line = f"[{self.step}/{self.steps} {elapsed:5.0f}s] {what}"
        if sys.stderr.isatty():
            print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    async def run(self, what: str, scenario: Callable[[], Awaitable[None]]) -> None:
        self.step += 1
        self.progress(what)
        await scenario()


async def main(only: str | None = None) -> None:
    logger.remove()
    logger.add(sys.stderr, level="ERROR")
    bench = Bench()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if only == "limited":  # `python -m bench --only limited`: this row alone
            bench.steps = 1
            await bench.run("limited edition", lambda: limited_edition(bench, work))
            report(bench)
            return
        if only == "flash":  # `python -m bench --only flash`: the two flash sales alone
            bench.steps = 2
            await bench.run("flash sale, 500 buyers", lambda: flash_sale(bench, FLAT_SALE, work))
            await bench.run("flash sale, 2,000 buyers", lambda: flash_sale(bench, 2000, work))
            report(bench)
            return
        if only == "scale":  # `python -m bench --only scale`: the scale table alone
            bench.steps = 1
            await bench.run(
                "2,000 buyers: polling, webhook, 2 processes", lambda: scale(bench, work)
            )
            report(bench)
            return
        await bench.run("flash sale, 500 buyers", lambda: flash_sale(bench, FLAT_SALE, work))
        await bench.run("flash sale, 2,000 buyers", lambda: flash_sale(bench, 2000, work))
        await bench.run("2,000 buyers in webhook mode on PostgreSQL", lambda: scale(bench, work))
        await bench.run("storing payments in process", lambda: in_process(bench, work))
        await bench.run(
            f"{MEMORY_PAYMENTS:,} payments to bare aiogram and the shop bot at once; "
            f"a database of {BIG:,} payments meanwhile",
            lambda: memory(bench, work),
        )
        await bench.run("the sale of 500 on a full database", lambda: flat(bench, work))
        await bench.run("limited edition", lambda: limited_edition(bench, work))
    if sys.stderr.isatty():
        print(file=sys.stderr)
    report(bench)


async def flash_sale(bench: Bench, buyers: int, work: Path) -> None:
    base = await run_sale(BARE, buyers, fresh_folder(work, f"bare{buyers}"), bench.progress)
    shop = await run_sale(SHOP, buyers, fresh_folder(work, f"shop{buyers}"), bench.progress)
    label = f"{buyers:,} buyers at once:"
    # The bot process's alone, from Pay to the last confirmation (the shop's, sent by its
    # outbox; the bare bot's, when it has fetched every payment).
    cpu = Row(f"{label} CPU per buyer", base.cpu_ms_per_buyer, shop.cpu_ms_per_buyer, "ms", "")
    if buyers == FLAT_SALE:
        bench.empty_sale = shop
        bench.rows += [
            Row(f"{label} pre-checkout p50", base.p50, shop.p50, "s", ""),
            _at_most(Row(f"{label} pre-checkout p99", base.p99, shop.p99, "s", "≤ 1.5x"), 1.5),
            Row(f"{label} peak RSS", base.peak_rss_mib, shop.peak_rss_mib, "MiB", ""),
            cpu,
        ]
        return
    bench.sale_2000 = (base, shop)
    cpu.target = "≤ 2x"
    answered = shop.answered == buyers
    p99 = Row(f"{label} pre-checkout p99", base.p99, shop.p99, "s", "≤ 2 s")
    stored = shop.stored_per_second
    bench.rows += [
        Row(f"{label} pre-checkouts answered", base.answered, shop.answered, "", "all", answered),
        _met(p99, shop.p99 <= 2.0),
        _met(
            Row(f"{label} payments stored per second", None, stored, "/s", "≥ 1000"),
            stored is not None and stored >= 1000,
        ),
        _at_most(cpu, 2),
    ]


async def scale(bench: Bench, work: Path) -> None:
    """The sale of 2,000 in webhook mode on PostgreSQL, with one and two processes, beside the
    flash sale's (polling on SQLite) when this run has measured it."""
    bare, sqlite = bench.sale_2000 or (None, None)
    bench.scale = await run_scale(work, bench.progress, bare=bare, sqlite=sqlite)


async def limited_edition(bench: Bench, work: Path) -> None:
    """100 units to 2,000 buyers at once; the baseline is the same sale without a limit."""
    free = await run_limited_sale(fresh_folder(work, "unlimited"), bench.progress, limited=False)
    sale = await run_limited_sale(fresh_folder(work, "limited"), bench.progress, limited=True)
    label = f"{UNITS} units to {BUYERS:,} buyers at once:"
    bench.rows += [
        _met(Row(f"{label} sold", None, sale.sold, "", f"= {UNITS}"), sale.sold == UNITS),
        Row(f"{label} refused as sold out", None, sale.refused_sold_out, "", ""),
        _met(Row(f"{label} payments refunded", None, sale.refunded, "", "0"), not sale.refunded),
        Row(f"{label} pre-checkout p99", free.p99, sale.p99, "s", ""),
    ]


async def in_process(bench: Bench, work: Path) -> None:
    naive = await payments_per_second(True, STORED, work)
    writer = await payments_per_second(False, STORED, work)
    row = Row(
        f"in process, {CONCURRENCY} at once: payments stored per second",
        naive,
        writer,
        "/s",
        "≥ 5x",
    )
    bench.rows.append(_met(row, writer >= 5 * naive))


async def flat(bench: Bench, work: Path) -> None:
    """The first step's sale again, on a database of a million payments, by buyers who have
    bought before; its baseline is that first sale, on an empty database."""
    empty = bench.empty_sale
    assert empty is not None, "the flash sale of 500 runs first"
    full = await run_sale(
        SHOP,
        FLAT_SALE,
        fresh_folder(work, "full"),
        bench.progress,
        database=work / "big.db",
        existing_buyers=big_database.users(),
    )
    label = f"{BIG:,} payments stored:"
    p99 = Row(f"{label} pre-checkout p99", empty.p99, full.p99, "s", "≤ 1.2x")
    per_payment = Row(
        f"{label} time per payment",
        1000 / empty.stored_per_second if empty.stored_per_second else None,
        1000 / full.stored_per_second if full.stored_per_second else None,
        "ms",
        "≤ 1.2x",
    )
    bench.rows += [_at_most(p99, 1.2), _at_most(per_payment, 1.2)]


async def memory(bench: Bench, work: Path) -> None:
    """Peak RSS only, so the two bots share the machine, and the big database for `flat` is
    written meanwhile in a process of its own: this step is most of the run's time."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        filled = asyncio.get_running_loop().run_in_executor(
            pool, big_database.fill, work / "big.db", BIG
        )
        base, shop = await asyncio.gather(
            run_waves(
                BARE, MEMORY_PAYMENTS, MEMORY_WAVE, fresh_folder(work, "mb"), bench.progress
            ),
            run_waves(
                SHOP, MEMORY_PAYMENTS, MEMORY_WAVE, fresh_folder(work, "ms"), bench.progress
            ),
        )
        await filled
    row = Row(f"peak RSS after {MEMORY_PAYMENTS:,} payments", base, shop, "MiB", "≤ 1.15x")
    bench.rows.append(_at_most(row, 1.15))


def report(bench: Bench) -> None:
    if bench.rows:
        report_rows(bench.rows)
    if bench.scale is not None:
        report_scale(bench.scale)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"bench-{stamp}.json"
    data: dict[str, Any] = {
        "when": stamp,
        "machine": machine(),
        "seconds": round(time.monotonic() - bench.began),
        "rows": [{**row.__dict__, "ratio": row.ratio} for row in bench.rows],
        "scale": scale_figures(bench.scale) if bench.scale else None,
    }
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(
        f"Figures also in {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}"
    )


def report_rows(rows: list[Row]) -> None:
    width = max(len(row.what) for row in rows)
    print(f"{'':{width}} {'baseline':>10} {'shop bot':>10} {'ratio':>6}  target")
    for row in rows:
        ratio = f"{row.ratio:5.2f}x" if row.ratio is not None else ""
        mark = {True: "  met", False: "  MISSED", None: ""}[row.met]
        print(
            f"{row.what:{width}} {_figure(row.baseline, row.unit):>10} "
            f"{_figure(row.shop, row.unit):>10} {ratio:>6}  {row.target}{mark}"
        )
    print(
        '\nBaseline: a bare aiogram bot answering every pre-checkout "ok" with no checks and no '
        "database, run here against the same emulator; for the 1,000,000-payment rows, the shop "
        "bot on an empty database; in process, a naive writer with one commit per payment; "
        "for the limited edition, the shop bot selling the same product without a stock limit. "
        "Ratios above 1 mean the shop bot is slower or bigger; the machine is shared, so compare "
        "ratios within one run."
    )


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.2f} s"
    if unit in ("/s", "MiB", ""):
        return f"{value:,.0f}{' ' + unit if unit else ''}"
    return f"{value:.2f} {unit}"


def _met(row: Row, met: bool) -> Row:
    row.met = met
    return row


def _at_most(row: Row, ratio: float) -> Row:
    return _met(row, row.ratio is not None and row.ratio <= ratio)


if __name__ == "__main__":
    only = sys.argv[2] if sys.argv[1:2] == ["--only"] and len(sys.argv) > 2 else None
    if only not in (None, "flash", "limited", "scale"):
        sys.exit(f"python -m bench: --only takes flash, limited or scale, not {only!r}")
    asyncio.run(main(only))
