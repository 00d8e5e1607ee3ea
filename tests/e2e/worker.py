"""A second process doing one of the bot's jobs on a shared database, for two-process tests.

    python -m tests.e2e.worker '<job as JSON>'

The job names a task (pay, refund, send, reconcile), the database, the emulator and the items.
The worker connects, prints "ready", waits for a line on stdin (so that two workers start their
work together), does the work with the bot's own services and prints one JSON line: what it got.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG, load_settings
from bot.outbox import OutboxSender
from bot.services.container import create_signer
from bot.services.payments import PaymentFacts, PaymentRecorder
from bot.services.reconcile import Reconciler
from bot.services.refunds import refund_payment
from bot.telegram import create_bot
from storage import Writer, create_engine, create_session_factory
from storage.locks import Locks


@dataclass(frozen=True)
class Job:
    task: str
    database_url: str
    api_base: str
    token: str
    items: list[Any]

    @classmethod
    def parse(cls, text: str) -> Job:
        return cls(**json.loads(text))


async def work(job: Job) -> Any:
    settings = load_settings(
        _env_file=None,
        bot_token=job.token,
        telegram_api_base=job.api_base,
        database_url=job.database_url,
    )
    catalog = load_catalog(DEFAULT_CATALOG)
    engine = create_engine(job.database_url)
    readers_engine = create_engine(job.database_url, read_only=True)
    readers = create_session_factory(readers_engine)
    writer = Writer(create_session_factory(engine))
    locks = Locks(job.database_url)
    bot = create_bot(settings)
    payments = PaymentRecorder(writer, catalog, create_signer(settings))
    writer.start()
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # go
        match job.task:
            case "pay":
                facts = [PaymentFacts(**item) for item in job.items]
                outcomes = await asyncio.gather(*(payments.record(f) for f in facts))
                return [bool(o.granted) for o in outcomes]
            case "refund":
                results = await asyncio.gather(
                    *(
                        refund_payment(bot, writer, readers, locks, catalog, charge, admin_id=1)
                        for charge in job.items
                    )
                )
                return [r.status.value for r in results]
            case "send":
                sender = OutboxSender(bot, writer, rate=1000)
                sent = 0
                while tried := await sender.send_due():
                    sent += tried
                return sent
            case "reconcile":
                reconciler = Reconciler(
                    bot, writer, readers, locks, catalog, payments, settle=timedelta(0)
                )
                report = await reconciler.run()
                return report.payments
        raise ValueError(f"unknown task {job.task!r}")
    finally:
        await writer.stop()
        await locks.close()
        await bot.session.close()
        await engine.dispose()
        await readers_engine.dispose()


def main() -> None:
    result = asyncio.run(work(Job.parse(sys.argv[1])))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
