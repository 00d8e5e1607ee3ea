"""The process: engine, bot, dispatcher, outbox, polling, and a clean stop."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from loguru import logger

from bot import texts
from bot.catalog import Catalog
from bot.config import ConfigError, Settings
from bot.dispatcher import create_bot, create_dispatcher, create_signer
from bot.outbox import OutboxSender
from bot.runner import InboxPoller
from bot.services.payments import PaymentRecorder
from bot.services.reconcile import Reconciler
from bot.services.reminders import queue_due_reminders
from storage import (
    SessionFactory,
    Writer,
    create_engine,
    create_session_factory,
    delete_expired,
    upgrade_schema,
    utcnow,
)
from storage.locks import ActiveLock, Locks
from storage.repositories import OUTBOX_CHANGED

# SIGTERM to exit: polling stops, handlers get `shutdown_grace`, the outbox the rest of this.
STOP_BUDGET_SECONDS = 9.5
GET_ME_TIMEOUT = 10
RETENTION_INTERVAL_SECONDS = 24 * 3600
REMINDER_INTERVAL_SECONDS = 300
LOST_LOCK = (
    "stopped polling: the database connection holding the active lock broke, so a standby may "
    "take over; restart this process to stand by (or to take over again)"
)
TOKEN_REJECTED = (
    "BOT_TOKEN was rejected by Telegram (401 Unauthorized): it is wrong or was revoked; get the "
    "current token from @BotFather and put it in BOT_TOKEN"
)


async def run_bot(
    settings: Settings,
    catalog: Catalog,
    stop: asyncio.Event | None = None,
    *,
    handle_signals: bool = True,
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop` is set), then stop cleanly.

    Only one process polls Telegram for a database. On PostgreSQL the others stand by until it
    is gone; this one raises ActiveLockLost if it stops holding the lock while serving. On SQLite
    a second process raises DatabaseBusy at once.
    """
    stop = stop or asyncio.Event()
    if handle_signals:
        _stop_on_signals(stop)
    bot = create_bot(settings)
    active = ActiveLock(settings.database_url)
    try:
        username = await _check_token(bot)
        _warn_about_weak_settings(settings)
        if not await active.acquire(stop):
            return  # stopped while standing by
        # Migrated only once active: a process still serving never meets a newer schema.
        schema_version = await upgrade_schema(settings.database_url)
        logger.info("database schema at version {}", schema_version)
        lost = await _serve(settings, catalog, bot, stop, active, username)
    finally:
        await active.release()
        await bot.session.close()
    if lost:
        raise ActiveLockLost(LOST_LOCK)


async def _serve(
    settings: Settings,
    catalog: Catalog,
    bot: Bot,
    stop: asyncio.Event,
    active: ActiveLock,
    username: str | None,
) -> bool:
    """Poll and send until `stop`; True when it stopped because the active lock was lost."""
    engine = create_engine(settings.database_url)
    read_engine = create_engine(settings.database_url, read_only=True)
    readers = create_session_factory(read_engine)
    writer = Writer(create_session_factory(engine))
    locks = Locks(settings.database_url)
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
    dispatcher = create_dispatcher(
        settings, writer, readers, locks, catalog, signer, payments, reconciler
    )
    poller = InboxPoller(
        dispatcher,
        bot,
        writer,
        readers,
        allowed_updates=dispatcher.resolve_used_update_types(),
        concurrency=settings.concurrent_updates,
    )
    writer.start()
    watching = asyncio.create_task(active.watch())
    watching.add_done_callback(lambda _: stop.set())
    try:
        await _register_commands(bot, settings)
        outbox.start()
        reconciling = asyncio.create_task(
            _reconcile_periodically(reconciler, settings.reconcile_interval)
        )
        expiring = asyncio.create_task(
            _delete_expired_daily(writer, readers, settings.retention_days)
        )
        reminding = asyncio.create_task(_remind_periodically(writer, readers, catalog))
        logger.info(
            "started as @{}: {} products, {} admins",
            username or "(unknown: getMe failed)",
            len(catalog),
            len(settings.admin_ids),
        )
        await poller.run(stop, grace=settings.shutdown_grace)
        reconciling.cancel()
        expiring.cancel()
        reminding.cancel()
        await asyncio.gather(reconciling, expiring, reminding, return_exceptions=True)
        stopping_since = poller.stopped_at or time.monotonic()
        remaining = STOP_BUDGET_SECONDS - (time.monotonic() - stopping_since)
        await outbox.stop(within=max(0.2, remaining))
    finally:
        lost = watching.done() and not watching.cancelled()
        watching.cancel()
        await writer.stop()
        await locks.close()
        await engine.dispose()
        await read_engine.dispose()
        logger.info("bot stopped")
    return lost


class ActiveLockLost(Exception):
    """This process stopped holding the active lock while serving; the message says what to do."""


async def _check_token(bot: Bot) -> str | None:
    """The bot's @username; a token Telegram rejects stops the process with one line. Any other
    failure only means Telegram cannot be reached yet: polling keeps trying."""
    try:
        me = await bot.get_me(request_timeout=GET_ME_TIMEOUT)
    except TelegramUnauthorizedError:
        await bot.session.close()
        raise ConfigError(TOKEN_REJECTED) from None
    except (TelegramAPIError, ClientDecodeError) as exc:
        logger.warning("could not check the token with getMe: {}", exc)
        return None
    return me.username


def _warn_about_weak_settings(settings: Settings) -> None:
    if settings.payload_secret is None:
        logger.warning(
            "PAYLOAD_SECRET is not set: invoice payloads are signed with a key derived from "
            "BOT_TOKEN, so a new token turns open invoices invalid; set PAYLOAD_SECRET "
            "(README, Security)"
        )
    base = settings.telegram_api_base
    if settings.telegram_api_insecure and base is not None and base.scheme == "http":
        logger.warning("TELEGRAM_API_INSECURE=true: the bot token goes to {} in clear", base.host)


async def _reconcile_periodically(reconciler: Reconciler, interval: float) -> None:
    """At start, then every `interval` seconds (0: only at start)."""
    while True:
        try:
            await reconciler.run()
        except Exception as exc:
            logger.error("reconciliation failed: {!r}", exc)
        if interval <= 0:
            return
        await asyncio.sleep(interval)


async def _delete_expired_daily(writer: Writer, readers: SessionFactory, days: int) -> None:
    """At start, then once a day: delete what is older than RETENTION_DAYS (0: keep it all)."""
    while days > 0:
        try:
            deleted = await delete_expired(writer, readers, utcnow() - timedelta(days=days))
        except Exception as exc:
            logger.error("could not delete rows older than {} days: {!r}", days, exc)
        else:
            if any(deleted.values()):
                logger.info("deleted rows older than {} days: {}", days, deleted)
        await asyncio.sleep(RETENTION_INTERVAL_SECONDS)


async def _remind_periodically(writer: Writer, readers: SessionFactory, catalog: Catalog) -> None:
    """At start (what fell due while the bot was down), then every few minutes."""
    while True:
        try:
            await queue_due_reminders(writer, readers, catalog)
        except Exception as exc:
            logger.error("could not look for due reminders: {!r}", exc)
        await asyncio.sleep(REMINDER_INTERVAL_SECONDS)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, _request_stop, stop, sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or not Unix
            return


def _request_stop(stop: asyncio.Event, sig: signal.Signals) -> None:
    logger.info("{} received: stopping", sig.name)
    stop.set()


async def _register_commands(bot: Bot, settings: Settings) -> None:
    buyer = [BotCommand(command=c, description=d) for c, d in texts.COMMANDS.items()]
    admin = buyer + [BotCommand(command=c, description=d) for c, d in texts.ADMIN_COMMANDS.items()]
    menus: list[tuple[list[BotCommand], BotCommandScopeDefault | BotCommandScopeChat]] = [
        (buyer, BotCommandScopeDefault())
    ]
    menus += [(admin, BotCommandScopeChat(chat_id=a)) for a in sorted(settings.admin_ids)]
    for commands, scope in menus:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except (TelegramAPIError, TelegramNetworkError, ClientDecodeError) as exc:
            # The menu is a convenience; the bot works without it. An admin who never opened
            # the bot ("chat not found") must not cost the others their menu.
            logger.warning("could not register the command menu for {}: {}", scope, exc)
