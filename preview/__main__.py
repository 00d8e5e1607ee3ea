"""`make preview`: your shop in a browser, offline. The emulator plays Telegram on 127.0.0.1 and
serves a page that plays Telegram's app; the real bot runs in this process with your catalog,
texts and ADMIN_IDS (from .env or the environment).

It never uses your DATABASE_URL or BOT_TOKEN: the bot gets the emulator's token and a SQLite
file in a temporary directory, removed at exit; PAYLOAD_SECRET is a new random one.
"""

from __future__ import annotations

import asyncio
import gc
import secrets
import signal
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from loguru import logger

from bot.catalog import Catalog, CatalogError, load_catalog
from bot.cli.exits import EXIT_CONFIG
from bot.config import ConfigError, Settings, load_settings
from bot.logging import setup_logging
from bot.redaction import redact_known_secrets
from emulator import BotAPIEmulator
from emulator.preview import PreviewPage

BUYER_NAME = "Ann"
STARTUP_TIMEOUT = 60.0
NOT_STARTED = f"the bot did not start polling within {STARTUP_TIMEOUT:.0f} s; see the lines above"


class PreviewError(Exception):
    """The preview could not start: the message says why."""


def preview_settings(emulator: BotAPIEmulator, workdir: Path) -> Settings:
    """The bot's settings from .env and the environment, but for Telegram, the database and the
    payload secret: the emulator's, a throwaway file's and a new one."""
    return load_settings(
        bot_token=emulator.token,
        telegram_api_base=emulator.base_url,
        telegram_api_insecure=False,
        telegram_test_env=False,
        database_url=f"sqlite+aiosqlite:///{workdir / 'preview.db'}",
        payload_secret=secrets.token_urlsafe(32),
        payload_secrets_old=(),
    )


def open_private_chats(
    emulator: BotAPIEmulator, catalog: Catalog, admin_ids: frozenset[int]
) -> None:
    """The groups and channels the catalog's keys unlock, with the bot as their administrator
    and the first admin as their creator."""
    chats = emulator.telegram.chats
    for number, chat_id in enumerate(sorted(catalog.chats, reverse=True), start=1):
        if str(chat_id).startswith("-100"):
            group = emulator.channel(f"Private channel {number}", id=chat_id)
        else:
            group = emulator.group(f"Private group {number}", id=chat_id)
        if admin_ids:
            emulator.add_member(group, chats.users[min(admin_ids)], status="creator")


def cast(emulator: BotAPIEmulator, admin_ids: frozenset[int]) -> None:
    """The people the page starts with: each admin, and one buyer."""
    for admin_id in sorted(admin_ids):
        emulator.user("Admin", id=admin_id, username=f"admin{admin_id}")
    emulator.user(BUYER_NAME)


async def serve(stop: asyncio.Event, out: TextIO) -> None:
    """Run the emulator, its page and the bot until `stop`; prints the page's URL to `out`."""
    from bot.app import run_bot  # aiogram, only now: a bad set-up stops it without the wait

    page = PreviewPage(BotAPIEmulator())
    emulator = page.emulator
    emulator.extra_routes.extend(page.routes())
    await emulator.start()
    try:
        with tempfile.TemporaryDirectory(prefix="shop-preview-") as workdir:
            settings = preview_settings(emulator, Path(workdir))
            catalog = load_catalog(settings.catalog_path, settings.default_language)
            setup_logging("WARNING", settings.log_json, secrets=settings.secrets)
            page.admin_ids = settings.admin_ids
            cast(emulator, settings.admin_ids)
            open_private_chats(emulator, catalog, settings.admin_ids)
            since = emulator.mark()
            bot = asyncio.create_task(run_bot(settings, catalog, stop, handle_signals=False))
            if await _polling(emulator, bot, since):
                url = f"http://{emulator.host}:{emulator.port}/"
                print(f"Your shop, previewed: {url} (Ctrl-C stops it)", file=out, flush=True)
            elif not bot.done():
                stop.set()
                await bot
                raise PreviewError(NOT_STARTED)
            await bot
    finally:
        await emulator.stop()


async def _polling(emulator: BotAPIEmulator, bot: asyncio.Task[None], since: int) -> bool:
    """Whether the bot got as far as polling for updates; False if it stopped before."""
    polling = asyncio.create_task(
        emulator.wait_for("getUpdates", since=since, answered=False, timeout=STARTUP_TIMEOUT)
    )
    await asyncio.wait({bot, polling}, return_when=asyncio.FIRST_COMPLETED)
    started = polling.done() and not polling.cancelled() and polling.exception() is None
    polling.cancel()
    return started


def main() -> int:
    stop = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(stop, sys.stdout)

    try:
        asyncio.run(run())
    except (ConfigError, CatalogError, PreviewError) as error:
        print(redact_known_secrets(str(error)), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:  # Ctrl-C before the bot was up
        return 130
    finally:
        # As `python -m bot`: left alone, the interpreter's teardown would walk every object
        # aiogram and pydantic made, seconds on a busy machine after Ctrl-C; frozen, they are
        # left to the OS.
        gc.freeze()
    return 0


if __name__ == "__main__":
    logger.remove()
    sys.exit(main())
