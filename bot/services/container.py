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
from bot.services.access import JoinRequests
from bot.services.buyers import Buyers, UserDirectory
from bot.services.chat_admin import ChatAdminNotices
from bot.services.chat_setup import ManagedChats
from bot.services.checkout import Checkout
from bot.services.deliveries import Deliveries
from bot.services.exports import Exports
from bot.services.goodwill import Goodwill
from bot.services.languages import UserLanguages
from bot.services.offers import PayloadSigner
from bot.services.owed_refunds import INTERVAL_SECONDS as OWED_REFUNDS_SECONDS
from bot.services.owed_refunds import OwedRefunds
from bot.services.ownership import OwnershipLookup
from bot.services.payments import PaymentRecorder
from bot.services.purchases import Purchases
from bot.services.reconcile import Reconciler
from bot.services.refunds import Refunds
from bot.services.reminders import Reminders
from bot.services.removals import Removals
from bot.services.renewals import Renewals
from bot.services.sales import Sales
from bot.services.shop import Shop
from bot.services.stock import REFRESH_SECONDS as STOCK_REFRESH_SECONDS
from bot.services.stock import StockKeeper
from bot.services.support import Support
from storage import SessionFactory, Writer, delete_expired, utcnow
from storage.database import Database
from storage.locks import Locks
from storage.repositories import OUTBOX_CHANGED, REFUNDS_OWED, STOCK_RETURNED, most_urgent

RETENTION_INTERVAL_SECONDS = 24 * 3600
REMINDER_INTERVAL_SECONDS = 300
CHAT_CHECK_INTERVAL_SECONDS = 600


@dataclass(frozen=True)
class Services:
    settings: Settings
    catalog: Catalog
    database: Database
    writer: Writer  # every write, group-committed on the one writer connection
    readers: SessionFactory  # read-only look-ups that must never wait for a writer
    locks: Locks  # named locks across processes (refunds of one charge, reconciliation)
    signer: PayloadSigner
    outbox: OutboxSender
    jobs: Jobs
    # What handlers (and the update middlewares) call, a service per feature:
    ownership: OwnershipLookup
    shop: Shop
    checkout: Checkout
    payments: PaymentRecorder
    purchases: Purchases
    renewals: Renewals
    refunds: Refunds
    reconciler: Reconciler
    support: Support
    reminders: Reminders
    goodwill: Goodwill
    buyers: Buyers
    users: UserDirectory
    sales: Sales
    exports: Exports
    stock: StockKeeper  # what is left of limited products, and the units reserved
    owed_refunds: OwedRefunds
    deliveries: Deliveries
    chats: ManagedChats  # the private chats of the catalog: can the bot manage them?
    join_requests: JoinRequests
    removals: Removals
    chat_admin: ChatAdminNotices  # the bot made an administrator: the admins learn the chat's id
    languages: UserLanguages  # each update's language, /language's choice, a recipient's

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
        lambda changed: outbox.wake(most_urgent(changed)) if OUTBOX_CHANGED in changed else None
    )
    signer = create_signer(settings)
    languages = UserLanguages(writer, readers, settings.default_language)
    ownership = OwnershipLookup(readers)
    stock = StockKeeper(
        writer,
        readers,
        catalog,
        reservation_seconds=settings.reservation_seconds,
        low_stock=settings.low_stock,
    )
    chats = ManagedChats(bot, catalog)
    grace = timedelta(seconds=settings.access_grace)
    removals = Removals(
        bot,
        writer,
        readers,
        catalog,
        chats,
        grace=grace,
        languages=languages,
        admin_ids=settings.admin_ids,
    )
    writer.after_commit.append(removals.on_commit)
    payments = PaymentRecorder(
        writer, catalog, signer, settings.admin_ids, stock, languages=languages, chats=chats
    )
    refunds = Refunds(bot, writer, readers, locks, catalog, languages=languages)
    owed_refunds = OwedRefunds(writer, readers, refunds)
    settle = timedelta(seconds=settings.reconcile_settle)
    reconciler = Reconciler(bot, writer, readers, locks, payments, refunds, settle=settle)
    reminders = Reminders(writer, readers, catalog, languages=languages)
    cooldown = timedelta(seconds=settings.support_cooldown)
    # Both also run as soon as a commit gives them work: a unit back on sale, a refund owed.
    counting = Every(STOCK_REFRESH_SECONDS, stock.refresh, name="counting limited stock")
    refunding = Every(OWED_REFUNDS_SECONDS, owed_refunds.run, name="making owed refunds")
    writer.after_commit.append(
        lambda changed: counting.wake() if STOCK_RETURNED in changed else None
    )
    writer.after_commit.append(
        lambda changed: refunding.wake() if REFUNDS_OWED in changed else None
    )
    return Services(
        settings=settings,
        catalog=catalog,
        database=database,
        writer=writer,
        readers=readers,
        locks=locks,
        signer=signer,
        outbox=outbox,
        jobs=_jobs(
            settings,
            database,
            reconciler,
            reminders,
            [refunding, removals.job],
            everywhere=[counting, _chat_checks(chats)],
        ),
        ownership=ownership,
        shop=Shop(bot, catalog, signer, ownership, stock),
        checkout=Checkout(writer, ownership, catalog, signer, stock=stock, chats=chats),
        payments=payments,
        purchases=Purchases(readers),
        renewals=Renewals(bot, writer, readers),
        refunds=refunds,
        reconciler=reconciler,
        support=Support(
            writer, readers, catalog, settings.admin_ids, cooldown, languages=languages
        ),
        reminders=reminders,
        goodwill=Goodwill(writer, catalog, languages=languages),
        buyers=Buyers(readers),
        users=UserDirectory(writer),
        sales=Sales(readers, catalog),
        exports=Exports(readers),
        stock=stock,
        owed_refunds=owed_refunds,
        deliveries=Deliveries(writer, catalog),
        chats=chats,
        join_requests=JoinRequests(bot, writer, readers, catalog, chats),
        removals=removals,
        chat_admin=ChatAdminNotices(
            writer, catalog, chats, settings.admin_ids, languages=languages
        ),
        languages=languages,
    )


def _chat_checks(chats: ManagedChats) -> Every:
    """The managed chats the start found unusable are looked at again, so that one fixed since
    is sold again without a restart."""
    return Every(CHAT_CHECK_INTERVAL_SECONDS, chats.recheck_unusable, name="checking chats")


def _jobs(
    settings: Settings,
    database: Database,
    reconciler: Reconciler,
    reminders: Reminders,
    more: list[Every],
    everywhere: list[Every],
) -> Jobs:
    """Reconciliation (at start, then every RECONCILE_INTERVAL), reminders (at start, for what
    fell due while the bot was down, then every few minutes), retention (at start, then
    daily; none with RETENTION_DAYS=0), and the features' own: owed refunds (every few
    seconds) and removals from private chats (`more`, the leader's like the above), limited
    stock's count and the chats' set-up (`everywhere`: each process keeps its own)."""
    writer, readers = database.writer, database.readers
    days = settings.retention_days

    async def delete_old_rows() -> None:
        deleted = await delete_expired(writer, readers, utcnow() - timedelta(days=days))
        if any(deleted.values()):
            logger.info("deleted rows older than {} days: {}", days, deleted)

    jobs = [
        Every(settings.reconcile_interval, reconciler.run, name="reconciliation"),
        Every(REMINDER_INTERVAL_SECONDS, reminders.queue_due, name="looking for due reminders"),
    ]
    if days > 0:
        jobs.append(Every(RETENTION_INTERVAL_SECONDS, delete_old_rows, name="retention"))
    return Jobs(jobs + more, everywhere)
