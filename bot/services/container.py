"""Every long-lived object of the process, built once, and handed to handlers by name.

A handler takes what it uses by the name of its field here (`refunds: Refunds`): aiogram passes
the dispatcher's workflow data, which is `Services.workflow_data()`, by keyword. Adding a
service is one field and one line in `create_services`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from aiogram import Bot
from loguru import logger

from bot.catalog import Catalog
from bot.config import Settings
from bot.lifecycle import Every, Jobs
from bot.outbox import OutboxSender
from bot.services.buyers import UserDirectory
from bot.services.offers import PayloadSigner
from bot.services.ownership import OwnershipLookup
from bot.services.payments import PaymentRecorder
from bot.services.reconcile import Reconciler
from bot.services.reminders import queue_due_reminders
from storage import SessionFactory, Writer, delete_expired, utcnow
from storage.database import Database
from storage.locks import Locks
from storage.repositories import OUTBOX_CHANGED

RETENTION_INTERVAL_SECONDS = 24 * 3600
REMINDER_INTERVAL_SECONDS = 300


@dataclass(frozen=True)
class Services:
    settings: Settings
    catalog: Catalog
    database: Database
    writer: Writer  # every write, group-committed on the one writer connection
    readers: SessionFactory  # read-only look-ups that must never wait for a writer
    locks: Locks  # named locks across processes (refunds of one charge, reconciliation)
    signer: PayloadSigner
    ownership: OwnershipLookup
    payments: PaymentRecorder
    reconciler: Reconciler
    outbox: OutboxSender
    users: UserDirectory
    jobs: Jobs

    def workflow_data(self) -> dict[str, Any]:
        """Each service under its field's name, as handlers ask for them."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def create_signer(settings: Settings) -> PayloadSigner:
    """PAYLOAD_SECRET signs; unset, the token does, as before the setting existed."""
    secret = settings.payload_secret or settings.bot_token
    old = [s.get_secret_value() for s in settings.payload_secrets_old]
    return PayloadSigner(secret.get_secret_value(), old)


def create_services(settings: Settings, catalog: Catalog, bot: Bot) -> Services:
    """Build every service; nothing connects or runs until the startup handlers start them."""
    database = Database(settings.database_url)
    writer, readers, locks = database.writer, database.readers, database.locks
    outbox = OutboxSender(bot, writer, rate=settings.outbox_rate)
    writer.after_commit.append(
        lambda changed: outbox.wake() if OUTBOX_CHANGED in changed else None
    )
    signer = create_signer(settings)
    payments = PaymentRecorder(writer, catalog, signer, settings.admin_ids)
    reconciler = Reconciler(
        bot,
        writer,
        readers,
        locks,
        catalog,
        payments,
        settle=timedelta(seconds=settings.reconcile_settle),
    )
    return Services(
        settings=settings,
        catalog=catalog,
        database=database,
        writer=writer,
        readers=readers,
        locks=locks,
        signer=signer,
        ownership=OwnershipLookup(readers),
        payments=payments,
        reconciler=reconciler,
        outbox=outbox,
        users=UserDirectory(writer),
        jobs=_jobs(settings, catalog, database, reconciler),
    )


def _jobs(
    settings: Settings, catalog: Catalog, database: Database, reconciler: Reconciler
) -> Jobs:
    """Reconciliation (at start, then every RECONCILE_INTERVAL), reminders (at start, for what
    fell due while the bot was down, then every few minutes) and retention (at start, then
    daily; none with RETENTION_DAYS=0)."""
    writer, readers = database.writer, database.readers
    days = settings.retention_days

    async def delete_old_rows() -> None:
        deleted = await delete_expired(writer, readers, utcnow() - timedelta(days=days))
        if any(deleted.values()):
            logger.info("deleted rows older than {} days: {}", days, deleted)

    jobs = [
        Every(settings.reconcile_interval, reconciler.run, name="reconciliation"),
        Every(
            REMINDER_INTERVAL_SECONDS,
            lambda: queue_due_reminders(writer, readers, catalog),
            name="looking for due reminders",
        ),
    ]
    if days > 0:
        jobs.append(Every(RETENTION_INTERVAL_SECONDS, delete_old_rows, name="retention"))
    return Jobs(jobs)
