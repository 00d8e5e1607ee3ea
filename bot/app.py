"""The process: its roles (bot/leadership.py), the schema, the services, polling, a clean stop."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Sequence

from aiogram import Bot, Router
from aiogram.exceptions import TelegramUnauthorizedError
from loguru import logger

from bot import lifecycle
from bot.catalog import Catalog
from bot.config import ConfigError, Settings
from bot.dispatcher import create_dispatcher
from bot.inbox.intake import Intake
from bot.inbox.polling import LongPoll
from bot.inbox.runner import InboxRunner
from bot.inbox.webhook import WebhookServer
from bot.leadership import Leadership
from bot.services.container import create_services
from bot.telegram import create_bot
from bot.telegram.failures import CALL_ERRORS, describe_failure
from storage import refresh_statistics, upgrade_schema

# SIGTERM to exit: polling stops, handlers get `shutdown_grace`, the shutdown the rest of this.
STOP_BUDGET_SECONDS = 9.5
GET_ME_TIMEOUT = 10
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
    routers: Sequence[Router] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop` is set), then stop cleanly. `routers` replace the
    shop's own (`bot.routers.create_routers()`).

    On PostgreSQL any number of processes serve one database: all handle updates, the leader
    also polls; a leader that loses its lock raises ActiveLockLost, and a process that meets a
    newer release's schema raises NewerSchema. On SQLite a second process raises DatabaseBusy.
    """
    stop = stop or asyncio.Event()
    if handle_signals:
        _stop_on_signals(stop)
    bot = create_bot(settings)
    leadership = Leadership(settings.database_url, lease=settings.inbox_lease)
    try:
        username = await _check_token(bot)
        _warn_about_weak_settings(settings)
        await leadership.join()
        # Every process migrates (one at a time); older processes then stop (NewerSchema).
        schema_version = await upgrade_schema(settings.database_url)
        logger.info("database schema at version {}", schema_version)
        await refresh_statistics(settings.database_url)
        await _serve(settings, catalog, bot, stop, leadership, username, routers)
    finally:
        await leadership.lock.release()
        await bot.session.close()
    leadership.raise_why_stopped()


async def _serve(
    settings: Settings,
    catalog: Catalog,
    bot: Bot,
    stop: asyncio.Event,
    leadership: Leadership,
    username: str | None,
    routers: Sequence[Router] | None,
) -> None:
    """Handle updates (and lead, once this process holds the lock) until `stop`."""
    services = create_services(settings, catalog, bot)
    dispatcher = create_dispatcher(services, routers)
    runner = InboxRunner(
        dispatcher,
        bot,
        services.writer,
        services.readers,
        concurrency=settings.concurrent_updates,
        claims=leadership.claims(),
    )
    intake = Intake(dispatcher, bot, services.writer, runner)
    allowed_updates = dispatcher.resolve_used_update_types()
    # Updates come in by long poll, or (WEBHOOK_URL set) Telegram posts them: bot/inbox/.
    way_in: LongPoll | WebhookServer
    if settings.webhook_mode:
        way_in = WebhookServer.from_settings(
            settings, bot, intake, services.writer, allowed_updates
        )
    else:
        way_in = LongPoll(bot, intake, allowed_updates=allowed_updates)
    # As aiogram's own start_polling passes it to the startup and shutdown handlers.
    workflow = {"dispatcher": dispatcher, "bots": [bot], **dispatcher.workflow_data}
    workflow["leadership"] = leadership
    try:
        await dispatcher.emit_startup(bot=bot, **workflow)
        logger.info(
            "started as @{}: {} products, {} admins",
            username or "(unknown: getMe failed)",
            len(catalog),
            len(settings.admin_ids),
        )
        await leadership.serve(
            stop, way_in, services.outbox, services.readers, grace=settings.shutdown_grace
        )
    finally:
        stopping_since = way_in.stopped_at or time.monotonic()
        await lifecycle.emit_shutdown(
            dispatcher, stop_deadline=stopping_since + STOP_BUDGET_SECONDS, bot=bot, **workflow
        )
        logger.info("bot stopped")


async def _check_token(bot: Bot) -> str | None:
    """The bot's @username; a token Telegram rejects stops the process with one line. Any other
    failure only means Telegram cannot be reached yet: polling keeps trying."""
    try:
        me = await bot.get_me(request_timeout=GET_ME_TIMEOUT)
    except TelegramUnauthorizedError:
        await bot.session.close()
        raise ConfigError(TOKEN_REJECTED) from None
    except CALL_ERRORS as exc:
        logger.warning("could not check the token with getMe: {}", describe_failure(exc))
        return None
    return me.username


def _warn_about_weak_settings(settings: Settings) -> None:
    if settings.payload_secret is None:
        logger.warning(
            "PAYLOAD_SECRET is not set: invoice payloads are signed with a key derived from "
            "BOT_TOKEN, so a new token turns open invoices invalid; set PAYLOAD_SECRET "
            "(docs/security.md)"
        )
    base = settings.telegram_api_base
    if settings.telegram_api_insecure and base is not None and base.scheme == "http":
        logger.warning("TELEGRAM_API_INSECURE=true: the bot token goes to {} in clear", base.host)


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
