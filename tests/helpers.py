"""Helpers that test modules share; the fixtures stay in the conftest.py files.

A test module imports what it needs from here, never from another test module or a conftest.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select, update

from bot.catalog import Catalog
from bot.config import Settings
from bot.inbox.intake import Intake
from bot.inbox.polling import LongPoll
from bot.inbox.runner import InboxRunner
from emulator import BotAPIEmulator, CheckoutResult, User
from emulator.models import Group
from storage import (
    InboxStatus,
    InboxUpdate,
    Payment,
    Refund,
    SessionFactory,
    Writer,
    create_engine,
    create_session_factory,
    upgrade_schema,
    utcnow,
)
from storage.models import Entitlement

ADMIN_ID = 900_001
SECOND_ADMIN_ID = 900_002
# Webhook mode in the tests: the emulator routes this URL to the bot's loopback port.
WEBHOOK_URL = "https://shop.example.com/telegram/updates"
WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdefABCDEF"

# For tests of SQLite itself (its file, its write lock): `@sqlite_only`.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
# For what needs several processes on one database: `@postgres_only`.
postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy; for effects that land after a reply."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check!r}")
        await asyncio.sleep(0.02)


# -- the database --------------------------------------------------------------------------


def make_payment(charge_id: str = "stx1", user_id: int = 7, amount: int = 25) -> Payment:
    now = utcnow()
    return Payment(
        telegram_payment_charge_id=charge_id,
        provider_payment_charge_id="prov1",
        user_id=user_id,
        product_id="gold",
        total_amount=amount,
        currency="XTR",
        invoice_payload="v1:gold:25:abcd:sig",
        paid_at=now,
        recorded_at=now,
    )


async def raw_sql(database_url: str, *statements: str) -> None:
    """Run SQL on the database as another program would (SQLite: off the event loop the bot
    runs on, since sqlite3 waits for locks by blocking)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":

        def run() -> None:
            with sqlite3.connect(url.database or "", timeout=30) as connection:
                for statement in statements:
                    connection.execute(statement)

        await asyncio.to_thread(run)
        return
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def add_sales(database_url: str) -> tuple[Payment, Payment, Refund]:
    """Three payments on 2026-01-10, 11 and 12 (UTC), the second refunded."""
    await upgrade_schema(database_url)
    day = datetime(2026, 1, 10, 12, tzinfo=UTC)
    payments = [
        Payment(
            telegram_payment_charge_id=f"stx-{n}",
            user_id=7,
            product_id="gold",
            total_amount=25 * (n + 1),
            currency="XTR",
            invoice_payload="v1:gold",
            paid_at=day + timedelta(days=n),
            recorded_at=day,
        )
        for n in range(3)
    ]
    refund = Refund(
        telegram_payment_charge_id="stx-1",
        user_id=7,
        total_amount=50,
        source="admin",
        admin_id=ADMIN_ID,
        reason="a, b",
        refunded_at=day + timedelta(days=3),
    )
    engine = create_engine(database_url)
    async with create_session_factory(engine)() as session:
        session.add_all([*payments, refund])
        await session.commit()
    await engine.dispose()
    return payments[0], payments[1], refund


def hold_write_lock(db_path, release: threading.Event, locked: threading.Event) -> None:
    """Another program writing to the database, holding SQLite's write lock until told."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    locked.set()
    release.wait(30)
    connection.execute("ROLLBACK")
    connection.close()


# -- the bot against the emulator ------------------------------------------------------------


@dataclass
class RunningBot:
    settings: Settings
    catalog: Catalog
    # The test's own sessions on the bot's database. On SQLite `sessions` take the write lock
    # up front, as the bot's writer does; `reads` read a snapshot and never wait for the writer,
    # so a test that looks while the bot writes a lot (a sale) neither waits nor holds it up.
    sessions: SessionFactory
    reads: SessionFactory
    stop_event: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self, timeout: float = 15.0) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, timeout)

    def webhook_address(self, path: str) -> str:
        """The URL of `path` on the bot's own server, in webhook mode (where the proxy sends)."""
        return f"http://{self.settings.webhook_listen}{path}"


def club_pass_catalog(tmp_path: Path, chat: Group) -> Path:
    """A catalog of one product, a one-time club pass whose key unlocks `chat`."""
    path = tmp_path / "catalog.toml"
    path.write_text(
        f"""
[[product]]
id = "pass"
title = "Club pass"
description = "The club, forever."
price = 40
kind = "one_time"
grants = ["club"]

[keys.club]
chats = [{chat.id}]
"""
    )
    return path


def codes(message: dict[str, Any]) -> list[str]:
    """The parts of the message's text shown as code (a tap copies them)."""
    text = message["text"].encode("utf-16-le")
    return [
        text[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == "code"
    ]


async def say(emu: BotAPIEmulator, user: User, text: str, **wait: Any) -> dict[str, Any]:
    """The user sends `text`; returns the bot's first message back."""
    since = emu.mark()
    emu.send_text(user, text)
    return await emu.wait_for_message(user.id, since=since, **wait)


async def request_invoice(
    emu: BotAPIEmulator, user: User, product_id: str, timeout: float = 10.0
) -> dict[str, Any]:
    message = await say(emu, user, f"/buy {product_id}", timeout=timeout)
    assert "invoice" in message, f"expected an invoice, got {message.get('text')!r}"
    return message


async def buy(emu: BotAPIEmulator, user: User, product_id: str) -> CheckoutResult:
    """The whole purchase: /buy, pay the invoice, wait for the confirmation."""
    invoice = await request_invoice(emu, user, product_id)
    since = emu.mark()
    result = await emu.pay(user, invoice)
    assert result.ok, result.error_message
    await emu.wait_for_message(user.id, text_contains="Thank you", since=since)
    return result


async def inbox_rows(bot: RunningBot, *update_ids: int) -> dict[int, InboxUpdate]:
    """The inbox rows of these updates that the bot has stored, by update_id (the latest row
    of an update_id that Telegram gave out twice)."""
    async with bot.sessions() as session:
        statement = select(InboxUpdate).where(col(InboxUpdate.update_id).in_(update_ids))
        rows = (await session.exec(statement.order_by(col(InboxUpdate.id)))).all()
        return {row.update_id: row for row in rows}


async def wait_handled(bot: RunningBot, *update_ids: int, timeout: float = 10.0) -> None:
    """Until the bot has finished handling these updates (their inbox rows are done)."""

    async def handled() -> bool:
        rows = await inbox_rows(bot, *update_ids)
        return len(rows) == len(update_ids) and all(
            row.status == InboxStatus.DONE for row in rows.values()
        )

    await eventually(handled, timeout)


# -- the poller alone, with a test's own dispatcher ------------------------------------------


class Polling:
    """The long poll, the intake and the runner of one test's dispatcher, with the real writer
    and inbox table. Keyword arguments go to the part that takes them."""

    RUNNER = frozenset({"concurrency", "retry_delays", "memory_limit"})
    INTAKE = frozenset({"queries_at_once"})

    def __init__(self, dispatcher: Dispatcher, bot: Bot, writer: Writer, readers, **kwargs):
        self.stop_event = asyncio.Event()
        self.writer = writer
        part = {
            name: {k: v for k, v in kwargs.items() if k in keys}
            for name, keys in (("runner", self.RUNNER), ("intake", self.INTAKE))
        }
        rest = {k: v for k, v in kwargs.items() if k not in self.RUNNER | self.INTAKE}
        self.runner = InboxRunner(dispatcher, bot, writer, readers, **part["runner"])
        self.intake = Intake(dispatcher, bot, writer, self.runner, **part["intake"])
        self.poller = LongPoll(bot, self.intake, polling_timeout=1, **rest)
        self.task: asyncio.Task | None = None

    def start(self, grace: float = 2.0) -> Polling:
        self.task = asyncio.create_task(self.poller.run(self.stop_event, grace=grace))
        return self

    async def stop(self) -> None:
        self.stop_event.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 15)


def dispatcher_with(router: Router) -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def inbox(sessions, update_id: int) -> InboxUpdate | None:
    """The latest inbox row of this update_id."""
    async with sessions() as session:
        statement = select(InboxUpdate).where(InboxUpdate.update_id == update_id)
        statement = statement.order_by(col(InboxUpdate.id).desc()).limit(1)
        return (await session.exec(statement)).first()


async def status_becomes(sessions, update_id: int, status: InboxStatus) -> InboxUpdate:
    async def check():
        row = await inbox(sessions, update_id)
        return row if row is not None and row.status == status else None

    return await eventually(check, timeout=15)


async def pro_month_ends(shop: RunningBot, user_id: int, end: datetime) -> None:
    """The buyer's `pro` key (the example catalog's pro_month) now ends at `end`."""
    async with shop.sessions() as session:
        await session.exec(
            update(Entitlement)
            .where(col(Entitlement.user_id) == user_id, col(Entitlement.key) == "pro")
            .values(expires_at=end)
        )
        await session.commit()
