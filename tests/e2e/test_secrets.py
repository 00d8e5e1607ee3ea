"""Secrets stay in the process: the bot token never reaches a log line, a database row or a
message, even when a broken proxy's answer makes aiohttp name the URL that holds it."""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError
from loguru import logger
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel, select

from bot.services.offers import PayloadSigner
from bot.telegram import create_bot
from emulator import MALFORMED, NO_HTTP_ANSWER, BotAPIEmulator, Fault, User
from storage import OutboxMessage
from tests.helpers import ADMIN_ID, request_invoice, say

TOKEN_PATH = re.compile(r"/bot\d+:")
ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")


@pytest.fixture
def log() -> Iterator[list[str]]:
    """Every log line of the test, tracebacks included, formatted as `python -m bot` does."""
    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", backtrace=False, diagnose=False)
    yield lines
    logger.remove(sink)


def secret_of(token: str) -> str:
    """The part of the token after the bot id: whoever has it controls the bot."""
    return token.partition(":")[2]


async def database_bytes(database_url: str, db_path: Path) -> bytes:
    """Everything the database holds: for SQLite the file and its write-ahead log, as anyone
    who can read the folder sees them; for PostgreSQL every row of every table."""
    if make_url(database_url).get_backend_name() == "sqlite":
        files = [db_path, *db_path.parent.glob(f"{db_path.name}-*")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    engine = create_async_engine(database_url)
    rows: list[str] = []
    try:
        async with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                query = text(f"SELECT row_to_json(t)::text FROM {table.name} t")
                rows += (await connection.execute(query)).scalars().all()
    finally:
        await engine.dispose()
    return "\n".join(rows).encode()


def everything_sent(emu: BotAPIEmulator) -> str:
    """Every parameter of every request the bot made: the texts, alerts and buttons."""
    return json.dumps([r.params for r in emu.requests], ensure_ascii=False)


async def test_token_never_reaches_the_log_the_database_or_a_message(
    emulator, start_bot, db_path, database_url, log
):
    shop = await start_bot()
    await emulator.wait_for("getStarTransactions")  # the reconciliation at start is done
    secret = secret_of(emulator.token)
    buyer = emulator.user("Ann")

    # The outbox: the confirmation's first sendMessage gets an answer that is not HTTP.
    invoice = await request_invoice(emulator, buyer, "gold")
    emulator.inject("sendMessage", MALFORMED)
    since = emulator.mark()
    paid = await emulator.pay(buyer, invoice)
    assert paid.ok
    await emulator.wait_for_message(buyer.id, text_contains="Thank you", since=since)
    async with shop.sessions() as session:
        [confirmation] = (await session.exec(select(OutboxMessage))).all()
    assert confirmation.attempts == 1 and "ClientResponseError" in (confirmation.last_error or "")

    # An admin's /refund and /reconcile: the admin is told what failed. The poll after the
    # one that brings /refund fails too: the poller logs it and tries again.
    emulator.inject("getUpdates", MALFORMED)
    emulator.inject("refundStarPayment", MALFORMED)
    since = emulator.mark()
    refund = await say(emulator, ADMIN, f"/refund {paid.charge_id}")
    assert refund["text"].startswith("Unknown whether Telegram refunded it: ")
    assert "ClientResponseError" in refund["text"]
    await emulator.wait_for("getUpdates", lambda r: r.status == NO_HTTP_ANSWER, since=since)
    emulator.inject("getStarTransactions", MALFORMED)
    reconcile = await say(emulator, ADMIN, "/reconcile")
    assert reconcile["text"].startswith("Reconciliation failed: ")
    assert "ClientResponseError" in reconcile["text"]
    await shop.stop()

    text = "\n".join(log)
    assert "getUpdates failed" in text and "refundStarPayment" in text
    assert "Traceback" in text  # /reconcile's failure is logged with its traceback
    assert secret not in text
    assert not TOKEN_PATH.search(text)  # nor any URL path that held it
    assert secret.encode() not in await database_bytes(database_url, db_path)
    assert secret not in everything_sent(emulator)
    assert not TOKEN_PATH.search(everything_sent(emulator))


@pytest.mark.parametrize(
    "fault",
    [
        MALFORMED,
        # An Apache in front of the Bot API quotes the path it did not find, token and all.
        Fault(404, body="<p>The requested URL /bot123456:TEST-token/getMe was not found.</p>"),
    ],
    ids=["not-http", "error-page-quoting-the-url"],
)
async def test_errors_leave_the_session_without_the_token_in_text_cause_or_context(
    emulator, make_settings, fault
):
    bot = create_bot(make_settings())
    emulator.inject("getMe", fault)
    try:
        with pytest.raises((TelegramNetworkError, ClientDecodeError)) as failed:
            await bot.get_me()
    finally:
        await bot.session.close()

    error = failed.value
    secret = secret_of(emulator.token)
    assert secret not in "".join(traceback.format_exception(error)) + repr(error)
    assert (error.__cause__, error.__context__) == (None, None)
    assert all(secret not in repr(value) for value in vars(error).values())


# -- the invoice payload secret -----------------------------------------------------------------

OLD_SECRET = "old-payload-secret-0123456789"
NEW_SECRET = "new-payload-secret-9876543210"


@pytest.mark.parametrize(
    ("before", "after", "accepted"),
    [
        ({}, {"payload_secrets_old": "{token}"}, True),
        ({"payload_secret": OLD_SECRET}, {"payload_secrets_old": OLD_SECRET}, True),
        ({"payload_secret": OLD_SECRET}, {}, False),
    ],
    ids=["from-the-token-derived-key", "from-an-old-secret", "old-secret-dropped"],
)
async def test_invoice_signed_before_a_payload_secret_rotation_is_paid_while_listed_as_old(
    emulator, start_bot, log, before, after, accepted
):
    first = await start_bot(**before)
    buyer = emulator.user("Ann")
    invoice = await request_invoice(emulator, buyer, "gold")
    await first.stop()
    after = {k: v.format(token=emulator.token) for k, v in after.items()}
    await start_bot(payload_secret=NEW_SECRET, **after)

    since = emulator.mark()
    paid = await emulator.pay(buyer, invoice)

    if not accepted:
        assert not paid.ok and "not issued by this shop" in (paid.error_message or "")
        return
    assert paid.ok
    await emulator.wait_for_message(buyer.id, text_contains="Thank you", since=since)
    # New invoices are signed with the new secret alone.
    await request_invoice(emulator, buyer, "pro_month")
    payload = emulator.invoices[-1].payload
    assert PayloadSigner(NEW_SECRET).decode(payload) is not None
    assert PayloadSigner(OLD_SECRET).decode(payload) is None
    assert PayloadSigner(emulator.token).decode(payload) is None
    text = "\n".join(log)
    assert OLD_SECRET not in text and NEW_SECRET not in text


async def test_start_says_who_the_bot_is_and_warns_once_without_a_payload_secret(
    emulator, start_bot, log
):
    without = await start_bot()
    await without.stop()
    warnings = [line for line in log if "PAYLOAD_SECRET is not set" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0]
    assert any("started as @stars_shop_test_bot" in line for line in log)
    assert emulator.calls("getMe")[0].ok

    log.clear()
    await start_bot(payload_secret=NEW_SECRET)
    assert not any("PAYLOAD_SECRET" in line for line in log)
