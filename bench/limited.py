"""A limited edition under a flash sale: 100 units, 2,000 buyers pressing Pay at once, beside
the same sale with no stock limit, both against the shop bot as its own process."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bench.flash_sale import SHOP, BotChild, Crowd, Progress, percentile
from bot import texts
from bot.outcomes import Refusal
from emulator import BotAPIEmulator

UNITS, BUYERS, PRICE = 100, 2000, 50
CATALOG = """
[[product]]
id = "edition"
title = "Limited edition"
description = "A flash sale."
price = {price}
kind = "consumable"
{stock}
"""


@dataclass
class LimitedSale:
    sold: int  # units the database says were sold
    refused_sold_out: int  # pre-checkouts refused as sold out
    refunded: int  # payments that found nothing left, owed a refund
    p99: float  # seconds from Pay to the bot's answer


async def run_limited_sale(workdir: Path, progress: Progress, *, limited: bool) -> LimitedSale:
    catalog = workdir / "catalog.toml"
    stock = f"stock = {UNITS}" if limited else ""
    catalog.write_text(CATALOG.format(price=PRICE, stock=stock))
    emulator = BotAPIEmulator()
    await emulator.start()
    child = BotChild(SHOP, emulator, workdir)
    try:
        await child.start(catalog_path=catalog, outbox_rate=30)
        people = [emulator.user(f"Buyer {n}") for n in range(BUYERS)]
        what = f"{UNITS} units" if limited else "no stock limit"
        progress(f"limited edition ({what}): {BUYERS:,} buyers press Pay")
        crowd = Crowd(emulator, "edition", PRICE)
        answers, _ = await crowd.pay(people, child)
    finally:
        await child.stop()
        await emulator.stop()
    with sqlite3.connect(child.database) as db:
        (sold,) = db.execute(
            "SELECT count(*) FROM stock_sales WHERE returned_at IS NULL"
        ).fetchone()
        (refunded,) = db.execute("SELECT count(*) FROM owed_refunds").fetchone()
    sold_out = texts.refusal_message(Refusal.SOLD_OUT)
    return LimitedSale(
        sold=sold if limited else len(answers) - len(crowd.refusals),
        refused_sold_out=sum(1 for r in crowd.refusals if r == sold_out),
        refunded=refunded,
        p99=percentile(answers, 0.99) if answers else float("nan"),
    )
