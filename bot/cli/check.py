"""`python -m bot check`: is this set-up ready for production? One finding per check, and
nothing is written: the database is opened read-only and Telegram is only asked questions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.types import WebhookInfo
from sqlalchemy.engine import make_url

from bot import texts
from bot.catalog import CatalogError, load_catalog
from bot.config import (
    ConfigError,
    OfflineSettings,
    Settings,
    load_offline_settings,
    load_payload_secrets,
    load_settings,
)
from bot.redaction import Redactor
from bot.services.chat_setup import inspect_chat
from bot.telegram import create_bot
from bot.telegram.failures import CALL_ERRORS, describe_failure
from storage.db import DatabaseNotFound, shown_url
from storage.files import readable_by_others
from storage.migrate import read_schema_state

TELEGRAM_TIMEOUT = 10  # seconds for each Bot API call
DATABASE_TIMEOUT = 10.0
TOKEN_REJECTED = (
    "Telegram rejected BOT_TOKEN (401 Unauthorized): it is wrong or was revoked; get the "
    "current token from @BotFather"
)
NO_SETTINGS = "not checked: the settings do not parse"
NO_TOKEN = "not checked: getMe did not succeed"
CREATE_IT = "start the bot or run `make migrate` to create it"
ENV_FILE = str(OfflineSettings.model_config.get("env_file"))  # in the working directory


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # passes, but says what to change: "!" instead of ✓

    def line(self) -> str:
        mark = "✗" if not self.ok else "!" if self.warning else "✓"
        return f"{mark} {self.name}: {self.detail}"


async def check_readiness(**overrides: object) -> list[Check]:
    """Every check, in order: settings, catalog, database, token, webhook, admins, the private
    chats of the catalog, payload secret, files. `overrides` take the place of environment
    variables (for tests)."""
    settings: Settings | None = None
    offline: OfflineSettings | None = None
    try:
        settings = offline = load_settings(**overrides)
        checks = [Check("settings", True, f"parsed; {len(settings.admin_ids)} admin id(s)")]
    except ConfigError as exc:
        checks = [Check("settings", False, str(exc))]
        try:  # the database and the catalog need no token: check them all the same
            offline = load_offline_settings(**overrides)
        except ConfigError:
            offline = None
    checks.append(_check_catalog(offline))
    checks.append(await _check_database(offline))
    checks += await _check_telegram(settings)
    checks.append(_check_payload_secret(overrides))
    checks.append(_check_files(offline))
    if settings is None:
        return checks
    redact = Redactor(settings.secrets)  # a second net: no finding may quote a secret
    return [replace(c, detail=redact(c.detail)) for c in checks]


def _check_catalog(settings: OfflineSettings | None) -> Check:
    if settings is None:
        return Check("catalog", False, NO_SETTINGS)
    try:
        catalog = load_catalog(settings.catalog_path, settings.default_language)
    except CatalogError as exc:
        return Check("catalog", False, str(exc))
    return Check("catalog", True, f"{len(catalog)} products from {settings.catalog_path}")


async def _check_database(settings: OfflineSettings | None) -> Check:
    if settings is None:
        return Check("database", False, NO_SETTINGS)
    where = shown_url(settings.database_url)
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            state = await read_schema_state(settings.database_url)
    except DatabaseNotFound as exc:
        return Check("database", False, f"{exc}: {CREATE_IT}")
    except Exception as exc:  # whatever stops us reading it is the finding
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Check("database", False, f"cannot read {where}: {reason}")
    if state.is_current:
        return Check("database", True, f"{where} is reachable; schema at {state.head} (current)")
    if not state.known:
        detail = f"schema at {state.current}, which this release does not know (a newer one "
        return Check("database", False, detail + "migrated it): run that release")
    if state.current is None:
        detail = f"{where} is reachable but has no schema version: {CREATE_IT}"
        return Check("database", False, detail)
    return Check(
        "database",
        False,
        f"schema at {state.current}, this release needs {state.head}: run "
        "`make migrate` (the bot also upgrades it at start)",
    )


async def _check_telegram(settings: Settings | None) -> list[Check]:
    """The token, the webhook and the admins, with the bot's own HTTP session (so that
    TELEGRAM_API_BASE applies and no error carries the token)."""
    if settings is None:
        return [Check(name, False, NO_SETTINGS) for name in ("token", "webhook", "admins")]
    bot = create_bot(settings)
    try:
        token = await _check_token(bot)
        if not token.ok:
            return [token, Check("webhook", False, NO_TOKEN), Check("admins", False, NO_TOKEN)]
        webhook = await _check_webhook(bot, settings)
        checks = [token, webhook, await _check_admins(bot, settings)]
        return checks + await _check_chats(bot, settings)
    finally:
        await bot.session.close()


async def _check_token(bot: Bot) -> Check:
    try:
        me = await bot.get_me(request_timeout=TELEGRAM_TIMEOUT)
    except TelegramUnauthorizedError:
        return Check("token", False, TOKEN_REJECTED)
    except CALL_ERRORS as exc:
        return Check("token", False, f"could not ask Telegram (getMe): {_error(exc)}")
    return Check("token", True, f"works: the bot is @{me.username} ({me.full_name})")


async def _check_webhook(bot: Bot, settings: Settings) -> Check:
    """Which way updates come in (WEBHOOK_URL), and whether Telegram's webhook agrees; only
    a URL's host is shown: its path may be meant to be hard to guess."""
    try:
        info = await bot.get_webhook_info(request_timeout=TELEGRAM_TIMEOUT)
    except CALL_ERRORS as exc:
        return Check("webhook", False, f"could not ask Telegram (getWebhookInfo): {_error(exc)}")
    state = _webhook_state(info)
    if settings.webhook_url is None:
        if not info.url:
            return Check("webhook", True, f"polling mode (WEBHOOK_URL unset); none set{state}")
        return Check(
            "webhook",
            True,
            f"polling mode (WEBHOOK_URL unset), but a webhook is set (to {_host(info.url)})"
            f"{state}: the bot removes it at start, keeping the updates Telegram holds; stop "
            "whatever serves that webhook first",
            warning=True,
        )
    mode = f"webhook mode (WEBHOOK_URL, to {_host(settings.webhook_url)})"
    if info.url == settings.webhook_url:
        # Telegram keeps the last error even after it delivered again: worth a look, no more.
        return Check("webhook", True, f"{mode}; Telegram posts there{state}", warning=bool(state))
    if not info.url:
        detail = f"{mode}; Telegram has no webhook set{state}: the bot sets it at start"
        return Check("webhook", True, detail, warning=True)
    return Check(
        "webhook",
        False,
        f"{mode}, but Telegram posts to another URL (on {_host(info.url)}){state}: another "
        "deployment may serve it; the bot sets its own at start",
    )


def _webhook_state(info: WebhookInfo) -> str:
    """Telegram's pending_update_count and last error, when it has them."""
    parts = []
    if info.pending_update_count:
        count = info.pending_update_count
        parts.append(f"{count} update{'s wait' if count > 1 else ' waits'} at Telegram")
    if info.last_error_message:
        when = ""
        if info.last_error_date is not None:
            when = f" at {info.last_error_date:%Y-%m-%d %H:%M:%S} UTC"
        parts.append(f"last error{when}: {info.last_error_message}")
    return "".join(f"; {part}" for part in parts)


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


async def _check_admins(bot: Bot, settings: Settings) -> Check:
    if not settings.admin_ids:
        return Check(
            "admins",
            False,
            "ADMIN_IDS is empty: nobody can /refund, and /paysupport requests have nowhere to go",
        )
    unreachable = []
    for admin_id in sorted(settings.admin_ids):
        try:
            await bot.get_chat(admin_id, request_timeout=TELEGRAM_TIMEOUT)
        except CALL_ERRORS as exc:
            unreachable.append(f"{admin_id} ({_error(exc)})")
    if unreachable:
        return Check(
            "admins",
            False,
            f"cannot message {', '.join(unreachable)}: each admin must open the bot in Telegram "
            "and press Start",
        )
    return Check("admins", True, f"all {len(settings.admin_ids)} can be messaged")


async def _check_chats(bot: Bot, settings: Settings) -> list[Check]:
    """Each private chat of the catalog: the bot is an administrator there with the right to
    invite users and to ban them; one ✗ line per missing right."""
    try:
        chat_ids = sorted(
            load_catalog(settings.catalog_path, settings.default_language).chats, reverse=True
        )
    except CatalogError:
        return []  # the catalog's own check says why
    checks = []
    for chat_id in chat_ids:
        setup = await inspect_chat(bot, chat_id)
        detail = "the bot is an administrator that can invite and ban users"
        name = texts.chat_setup_name(setup)  # in English: outside any `speaking`
        checks += [Check(name, False, texts.chat_problem(p)) for p in setup.problems] or [
            Check(name, True, detail)
        ]
    return checks


def _check_payload_secret(overrides: dict[str, object]) -> Check:
    try:  # needs no token: checked whatever the rest of the settings say
        secrets = load_payload_secrets(**overrides)
    except ConfigError as exc:
        return Check("payload secret", False, str(exc))
    if secrets.payload_secret is None:
        return Check(
            "payload secret",
            False,
            "PAYLOAD_SECRET is not set: invoices are signed with a key derived from BOT_TOKEN, "
            "so a new token would invalidate every open invoice (docs/security.md)",
        )
    return Check("payload secret", True, "PAYLOAD_SECRET is set")


def _check_files(settings: OfflineSettings | None) -> Check:
    """A warning, not a failure, when users other than the owner may read `.env` (the token)
    or the SQLite database and its -wal, -shm and lock files (buyers' payments)."""
    files = [Path(ENV_FILE)]
    url = make_url(settings.database_url) if settings else None
    if url is not None and url.get_backend_name() == "sqlite" and url.database:
        files += [Path(url.database + suffix) for suffix in ("", "-wal", "-shm", ".lock")]
    exposed = [str(path) for path in files if path.is_file() and readable_by_others(path)]
    if exposed:
        detail = f"others may read {', '.join(exposed)}: run chmod 600 {' '.join(exposed)}"
        return Check("files", True, detail, warning=True)
    return Check("files", True, "only their owner may read .env and the SQLite database")


def _error(exc: BaseException) -> str:
    """Telegram's description; any other failure by the name of its kind only."""
    return describe_failure(exc) if isinstance(exc, TelegramAPIError) else type(exc).__name__
