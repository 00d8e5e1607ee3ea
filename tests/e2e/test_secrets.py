"""Secrets stay in the process: the bot token never reaches a log line, a database row, a
message or stderr, even when a broken proxy's answer makes aiohttp name the URL that holds it,
or quotes it in a page that aiohttp cannot decode."""

from __future__ import annotations

import json
import re
import signal
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram import F, Router
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError
from aiogram.types import Message
from loguru import logger
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel, select

from bot.routers import create_routers
from bot.routers.checkout import on_successful_payment
from bot.services.offers import PayloadSigner
from bot.services.payments import PaymentRecorder
from bot.telegram import create_bot
from emulator import MALFORMED, NO_HTTP_ANSWER, NOT_UTF8_PAGE, BotAPIEmulator, Fault, User
from storage import OutboxMessage
from tests.e2e.process import BotProcess, run_command
from tests.helpers import ADMIN_ID, buy, inbox_rows, request_invoice, say

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


def answers_first(user_id: int) -> Router:
    """For one buyer, a payment handler that answers in the chat before it records: its answer
    failing fails the payment's update, which the inbox tries again, keeping the error."""
    router = Router(name="answers-first")

    async def answer_then_record(message: Message, payments: PaymentRecorder) -> None:
        await message.answer("Payment received, one moment.")
        await on_successful_payment(message, payments)

    router.message.register(answer_then_record, F.successful_payment, F.chat.id == user_id)
    return router


async def outbox_row(shop, chat_id: int) -> OutboxMessage:
    async with shop.sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        return (await session.exec(query)).one()


async def test_token_in_a_page_that_is_not_utf8_reaches_no_log_row_or_message(
    emulator, start_bot, db_path, database_url, log
):
    ann, bob = emulator.user("Ann"), emulator.user("Bob")
    shop = await start_bot(routers=[answers_first(bob.id), *create_routers()])
    await emulator.wait_for("getStarTransactions")  # the reconciliation at start is done
    secret = secret_of(emulator.token)

    # The outbox: Ann's confirmation gets the page, and so does her pre-checkout's answer.
    invoice = await request_invoice(emulator, ann, "gold")
    emulator.inject("answerPreCheckoutQuery", NOT_UTF8_PAGE)
    emulator.inject("sendMessage", NOT_UTF8_PAGE)
    since = emulator.mark()
    paid = await emulator.pay(ann, invoice)
    assert paid.ok
    await emulator.wait_for_message(ann.id, text_contains="Thank you", since=since)
    confirmation = await outbox_row(shop, ann.id)
    assert confirmation.attempts == 1 and "UnicodeDecodeError" in (confirmation.last_error or "")

    # A handler's answer: Bob's payment update fails once, and is handled when tried again.
    emulator.inject("sendMessage", NOT_UTF8_PAGE)
    bought = await buy(emulator, bob, "gold")
    assert bought.successful_payment_update_id is not None
    [row] = (await inbox_rows(shop, bought.successful_payment_update_id)).values()
    assert row.attempts == 1 and "UnicodeDecodeError" in (row.last_error or "")

    # An admin's /refund: Telegram may have refunded, and the admin is told how to find out.
    emulator.inject("refundStarPayment", NOT_UTF8_PAGE)
    refund = await say(emulator, ADMIN, f"/refund {paid.charge_id}")
    assert refund["text"].startswith("Unknown whether Telegram refunded it: ")
    assert "UnicodeDecodeError" in refund["text"] and "/reconcile" in refund["text"]
    await shop.stop()

    text = "\n".join(log)
    assert "refundStarPayment" in text and "pre-checkout" in text
    assert secret not in text and not TOKEN_PATH.search(text)
    assert secret.encode() not in await database_bytes(database_url, db_path)
    assert secret not in everything_sent(emulator)
    assert not TOKEN_PATH.search(everything_sent(emulator))


async def test_token_in_a_page_at_start_and_in_check_is_one_redacted_line(
    emulator, database_url, db_path, tmp_path
):
    # python -m bot: getMe and setMyCommands get the page; the bot warns once each and serves.
    emulator.inject("getMe", NOT_UTF8_PAGE)
    emulator.inject("setMyCommands", NOT_UTF8_PAGE)
    bot = BotProcess(emulator, tmp_path / "bot", database_url=database_url)
    await bot.start()
    await bot.wait_for_log("started as @")
    bot.signal(signal.SIGTERM)
    assert await bot.wait(timeout=15) == 0
    stderr = bot.log()  # the child's stderr, where it logs
    [get_me] = [line for line in stderr.splitlines() if "token with getMe" in line]
    [commands] = [line for line in stderr.splitlines() if "command menu" in line]
    assert "WARNING" in get_me and "UnicodeDecodeError" in get_me
    assert "WARNING" in commands and "UnicodeDecodeError" in commands

    # python -m bot check: one finding says getMe failed, and how; no traceback.
    emulator.inject("getMe", NOT_UTF8_PAGE)
    code, stdout, check_stderr = await run_command(tmp_path, "check", **bot.variables)
    assert code == 1
    [token] = [line for line in stdout.splitlines() if "UnicodeDecodeError" in line]
    assert token.startswith("✗ token: could not ask Telegram (getMe): UnicodeDecodeError")

    everything = stderr + stdout + check_stderr
    assert "Traceback" not in everything
    secret = secret_of(emulator.token)
    assert secret not in everything and not TOKEN_PATH.search(everything)
    assert secret.encode() not in await database_bytes(database_url, db_path)
    assert secret not in everything_sent(emulator)


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
