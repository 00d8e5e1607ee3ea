"""A second process doing one of the bot's jobs on a shared database, for two-process tests.

    python -m tests.e2e.worker '<job as JSON>'    (started by tests.children, with a channel)

The job names a task (pay, refund, send, reconcile), the database, the emulator and the items.
The worker connects, sends "ready" on its channel, waits for "go" (so that two workers start
their work together), does the work with the bot's own services and sends back what it got.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG, load_settings
from bot.outbox import OutboxSender
from bot.services.container import create_services
from bot.services.payments import PaymentFacts
from bot.telegram import create_bot
from tests.children import channel_to_parent


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
        admin_ids=[],
        reconcile_settle=0,
    )
    bot = create_bot(settings)
    services = create_services(settings, load_catalog(DEFAULT_CATALOG), bot)
    services.database.start()
    channel = channel_to_parent()
    try:
        channel.send("ready")
        assert await asyncio.to_thread(channel.recv) == "go"
        match job.task:
            case "pay":
                facts = [PaymentFacts(**item) for item in job.items]
                outcomes = await asyncio.gather(*(services.payments.record(f) for f in facts))
                return [o.recorded for o in outcomes]
            case "refund":
                refunds = services.refunds
                results = await asyncio.gather(
                    *(refunds.refund(charge, admin_id=1) for charge in job.items)
                )
                return [r.status.value for r in results]
            case "send":
                sender = OutboxSender(bot, services.writer, rate=1000)
                sent = 0
                while tried := await sender.send_due():
                    sent += tried
                return sent
            case "reconcile":
                report = await services.reconciler.run()
                return report.payments
        raise ValueError(f"unknown task {job.task!r}")
    finally:
        await services.database.close()
        await bot.session.close()


def main() -> None:
    result = asyncio.run(work(Job.parse(sys.argv[1])))
    channel_to_parent().send(result)


if __name__ == "__main__":
    main()
