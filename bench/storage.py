"""Storing payments in this process: the group-commit writer against a naive baseline.

Both store the same payments with the same dedupe, grants, confirmation and audit row,
`CONCURRENCY` at a time, on a fresh SQLite file each. The naive baseline (bench/naive.py) uses
one AsyncSession and one commit per payment; the shop bot's `PaymentRecorder` goes through the
writer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.naive import record_payment_naively
from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG
from bot.services.languages import UserLanguages
from bot.services.offers import PayloadSigner
from bot.services.payments import PaymentFacts, PaymentRecorder
from storage import Writer, create_engine, create_session_factory, upgrade_schema

CONCURRENCY = 500


async def payments_per_second(naive: bool, payments: int, workdir: Path) -> float:
    url = f"sqlite+aiosqlite:///{workdir / ('naive.db' if naive else 'writer.db')}"
    await upgrade_schema(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    catalog, signer = load_catalog(DEFAULT_CATALOG), PayloadSigner("1:bench-secret")
    payload = signer.encode("gold", 25)
    facts = [
        PaymentFacts(
            user_id=10_000 + n,
            telegram_payment_charge_id=f"stxbench{n}",
            total_amount=25,
            currency="XTR",
            invoice_payload=payload,
        )
        for n in range(payments)
    ]
    writer = Writer(sessions)
    store: Callable[[PaymentFacts], Awaitable[object]]
    if naive:

        def store(f: PaymentFacts) -> Awaitable[object]:
            return record_payment_naively(sessions, catalog, signer, f)
    else:
        writer.start()
        languages = UserLanguages(writer, sessions, default="en")
        store = PaymentRecorder(writer, catalog, signer, languages=languages).record
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(payment: PaymentFacts) -> None:
        async with slots:
            await store(payment)

    began = time.perf_counter()
    await asyncio.gather(*(one(payment) for payment in facts))
    elapsed = time.perf_counter() - began
    await writer.stop()
    await engine.dispose()
    return payments / elapsed
