"""Pre-checkout latency and payment throughput, against the Bot API emulator.

Baseline: a bare aiogram dispatcher that answers every pre-checkout "ok" at once (no checks, no
database) on aiogram's stock polling. Shop bot: the real bot (`run_bot`) with its checks, SQLite
look-ups, audit rows and at-least-once poller. Both run here, now, on the same emulator code, so
the difference is what the shop's work costs. Run with `make bench`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import PreCheckoutQuery
from loguru import logger
from sqlmodel import func, select

from bot.app import run_bot
from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG, load_settings
from bot.services.offers import PayloadSigner
from storage import Payment, create_engine, create_session_factory
from tests.emulator import BotAPIEmulator

BURST = 200


async def baseline(emulator: BotAPIEmulator, _: Path) -> Callable[[], Awaitable[None]]:
    dispatcher = Dispatcher()

    @dispatcher.pre_checkout_query()
    async def answer(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    bot = Bot(
        emulator.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    )
    task = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
    )

    async def stop() -> None:
        await dispatcher.stop_polling()
        await task

    return stop


async def shop_bot(emulator: BotAPIEmulator, workdir: Path) -> Callable[[], Awaitable[None]]:
    settings = load_settings(
        bot_token=emulator.token,
        telegram_api_base=emulator.base_url,
        database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        reconcile_interval=0,
    )
    stop_event = asyncio.Event()
    task = asyncio.create_task(
        run_bot(settings, load_catalog(DEFAULT_CATALOG), stop_event, handle_signals=False)
    )

    async def stop() -> None:
        stop_event.set()
        await task

    return stop


async def measure(name: str, start: Callable, workdir: Path) -> dict[str, float]:
    emulator = BotAPIEmulator()
    await emulator.start()
    stop = await start(emulator, workdir)
    await emulator.wait_for("getUpdates", answered=False)
    signer = PayloadSigner(emulator.token)
    buyers = [emulator.user(f"b{n}") for n in range(BURST)]

    async def pay(buyer):
        return await emulator.pay(
            buyer, payload=signer.encode("gold", 25), total_amount=25, currency="XTR"
        )

    sequential = [await pay(b) for b in buyers[:50]]
    began = time.perf_counter()
    burst = await asyncio.gather(*(pay(b) for b in buyers[50:]))
    burst_seconds = time.perf_counter() - began
    stored = None
    if name == "shop bot":
        engine = create_engine(f"sqlite+aiosqlite:///{workdir / 'bench.db'}")
        sessions = create_session_factory(engine)
        while True:  # until every successful_payment of the burst is recorded
            async with sessions() as session:
                count = (await session.exec(select(func.count()).select_from(Payment))).one()
            if count >= BURST:
                break
            await asyncio.sleep(0.01)
        stored = time.perf_counter() - began
        await engine.dispose()
    await stop()
    await emulator.stop()
    seq = [r.answered_in * 1000 for r in sequential if r.answered_in is not None]
    par = [r.answered_in * 1000 for r in burst if r.answered_in is not None]
    return {
        "one at a time, p50 ms": statistics.median(seq),
        "one at a time, max ms": max(seq),
        f"burst of {BURST - 50}, p50 ms": statistics.median(par),
        f"burst of {BURST - 50}, p95 ms": statistics.quantiles(par, n=20)[18],
        f"burst of {BURST - 50}, max ms": max(par),
        "burst answered, s": burst_seconds,
        "burst stored, s": stored if stored is not None else float("nan"),
    }


async def main() -> None:
    logger.remove()
    logger.add(sys.stderr, level="ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        base = await measure("baseline", baseline, Path(tmp))
        ours = await measure("shop bot", shop_bot, Path(tmp))
    print(f"pre-checkout answer time as the emulator saw it ({BURST} payments)")
    print(f"{'':28} {'baseline':>10} {'shop bot':>10}")
    for key in base:
        print(f"{key:28} {base[key]:10.2f} {ours[key]:10.2f}")
    print("baseline: stock aiogram polling answering ok at once; shop bot: python -m bot's code")


if __name__ == "__main__":
    asyncio.run(main())
