"""`make demo`: the real bot against the Bot API emulator, offline, with scripted buyers and an
admin, printed as a chat transcript: a club pass that lets its buyer into a private channel
(and out again on a refund), and a code sold from stock.

No token and no network: the emulator plays Telegram on 127.0.0.1, the bot runs in this process
on a throwaway SQLite file with its own catalog (or the one CATALOG_PATH names: see
demo/own_catalog.py), and every step waits for the bot's answers before the next.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TextIO

from loguru import logger

from bot.app import run_bot
from bot.catalog import Catalog, CatalogError, load_catalog
from bot.config import Settings, load_settings
from bot.services.codes import add_codes
from demo import own_catalog as own
from demo.tour import Tour, buttons
from emulator import BotAPIEmulator, Group, User
from storage import upgrade_schema

ADMIN_ID = 900_001
CATALOG = """
[[product]]
id = "club_pass"
title = "Club pass, 30 days"
description = "The members' channel for 30 days. Buying again adds 30 more."
price = 75
kind = "timed"
duration_days = 30
grants = ["club"]

[[product]]
id = "vpn_key"
price = 150
kind = "consumable"
codes = true
# A text in several languages; each buyer reads their own.
[product.title]
en = "VPN key, 1 year"
ru = "Ключ VPN на год"
[product.description]
en = "One personal key, shown in the chat. Buy as many as you need."
ru = "Личный ключ, который придёт в чат. Покупайте сколько нужно."

[keys.club]
chats = [{channel}]
"""
CODES = ["VPN-7F3K-Q9XA", "VPN-2M8D-LC4T", "VPN-X5RB-91HW"]


async def play(out: TextIO, own_catalog: Path | None = None) -> None:
    """Run the whole tour and print it to `out`: with the demo's catalog, or with the shop
    owner's at `own_catalog` (see demo/own_catalog.py)."""
    emulator = BotAPIEmulator()
    await emulator.start()
    tour = Tour(emulator, out)
    admin = tour.person("Alex (admin)", id=ADMIN_ID, username="shop_admin")
    ann = tour.person("Ann", username="ann_buys")
    bob = tour.person("Bob")
    olya = tour.person("Olya", language_code="ru")  # her Telegram app is in Russian
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        script: Callable[[], Awaitable[None]]
        if own_catalog is None:
            club = emulator.channel("Stars Club")
            emulator.add_member(club, admin, status="creator")
            tour.chats[club.id] = club.title
            catalog_path = workdir / "catalog.toml"
            catalog_path.write_text(CATALOG.format(channel=club.id), encoding="utf-8")
            catalog = load_catalog(catalog_path)
            script = partial(_script, tour, club, ann, bob, olya, admin)
        else:
            catalog_path, catalog = own_catalog, load_catalog(own_catalog)
            chats = own.open_chats(tour, catalog, admin)
            script = partial(own.script, tour, catalog, chats, ann, bob, admin)
        settings = _settings(emulator, workdir, catalog_path)
        await upgrade_schema(settings.database_url)
        codes_path = workdir / "codes.txt"
        codes = CODES if own_catalog is None else own.CODES
        codes_path.write_text("\n".join(codes) + "\n", encoding="utf-8")
        await _load_codes(settings.database_url, catalog, codes_path)
        stop = asyncio.Event()
        since = emulator.mark()
        bot = asyncio.create_task(run_bot(settings, catalog, stop, handle_signals=False))
        try:
            await emulator.wait_for("getUpdates", since=since, answered=False)
            await script()
        finally:
            stop.set()
            await bot
            await emulator.stop()


def _settings(emulator: BotAPIEmulator, workdir: Path, catalog_path: Path) -> Settings:
    return load_settings(
        _env_file=None,  # the demo's settings only, whatever a .env here says
        bot_token=emulator.token,
        telegram_api_base=emulator.base_url,
        database_url=f"sqlite+aiosqlite:///{workdir / 'demo.db'}",
        catalog_path=catalog_path,
        admin_ids={ADMIN_ID},
        payload_secret="demo-payload-secret-0123456789",
        reconcile_interval=0,
        # The scripted buyer acts faster than a person could; the flood limit would stop her.
        flood_limit=0,
        low_stock=1,  # three codes: the admin's "running low" would come at the first sale
    )


async def _load_codes(database_url: str, catalog: Catalog, codes_path: Path) -> None:
    """What a shop owner does once before selling codes, `python -m bot codes add`, for each
    product with codes."""
    for product in catalog:
        if product.codes:
            await add_codes(database_url, catalog, product.id, codes_path)


async def _script(tour: Tour, club: Group, ann: User, bob: User, olya: User, admin: User) -> None:
    tour.out.write(
        "Stars shop demo: the real bot and a Telegram emulator, offline. Ann, Bob and Olya "
        "(whose Telegram is in Russian) buy, Alex is the shop's admin and owns the private "
        "channel Stars Club.\n\n"
    )
    await tour.says(ann, "/start")
    shop = await tour.says(ann, "/shop")
    invoice = await tour.taps(ann, shop, "Club pass, 30 days: 75 ⭐", (ann, ""))
    await tour.pays(ann, invoice, (ann, "Thank you"))
    await tour.asks_to_join(ann, club, "approveChatJoinRequest")
    await tour.asks_to_join(bob, club, "declineChatJoinRequest", (bob, "Club pass"))
    invoice = await tour.says(bob, "/buy vpn_key")
    await tour.pays(bob, invoice, (bob, "Thank you"))
    shop = await tour.says(olya, "/shop")
    invoice = await tour.taps(olya, shop, "Ключ VPN на год: 150 ⭐", (olya, ""))
    await tour.pays(olya, invoice, (olya, "Спасибо"))
    await tour.says(ann, "/paysupport", (ann, "Describe the problem"))
    request = await tour.says(
        ann,
        "I bought the club pass by mistake. Could I have my Stars back?",
        (admin, "Payment support request"),
        (ann, "went to a person"),
    )
    [refund] = [b["text"] for b in buttons(request) if b["text"].startswith("Refund")]
    question = await tour.taps(admin, request, refund, (admin, "Refund 75 ⭐"))
    since = tour.emulator.mark()
    await tour.taps(admin, question, "Confirm refund", (ann, "was refunded"), edit="Refunded")
    await tour.sees_removal(since)
    await tour.says(ann, "/mypurchases")
    await tour.says(bob, "/stats", (bob, "Not allowed"))
    await tour.says(admin, "/stock", (admin, "VPN key"))
    await tour.says(admin, "/stats", (admin, "Sales as of"))
    tour.out.write("The end: every message above went through the real bot's code.\n")


def main() -> None:
    logger.remove()
    logger.add(sys.stderr, level="ERROR")  # the transcript is the output; errors only
    own_catalog = Path(os.environ["CATALOG_PATH"]) if os.environ.get("CATALOG_PATH") else None
    if own_catalog is not None:
        try:
            load_catalog(own_catalog)
        except CatalogError as exc:
            print(exc, file=sys.stderr)
            raise SystemExit(2) from None
    asyncio.run(play(sys.stdout, own_catalog))


if __name__ == "__main__":
    main()
