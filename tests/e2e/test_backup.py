"""`python -m bot backup`: a copy of a running bot's database, taken while it sells and
restored with docs/operations.md's commands, holds every payment and grant; every way a backup
cannot be made is one line and exit 2, and leaves no file under FILE's name."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.outcomes import Refusal
from bot.texts.payments import refusal_message
from emulator import BotAPIEmulator, CheckoutResult, User
from storage import (
    Entitlement,
    InboxStatus,
    Payment,
    SessionFactory,
    create_engine,
    create_session_factory,
)
from tests.e2e.process import run_command
from tests.helpers import (
    RunningBot,
    buy,
    eventually,
    request_invoice,
    say,
    sqlite_only,
    status_becomes,
)
from tests.postgres import PostgresServer, free_port

postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
PRINTED = re.compile(r"^(?P<file>.+): .+, (?P<payments>\d+) payment\(s\)$")


async def sell_until(emulator: BotAPIEmulator, stop: asyncio.Event) -> list[CheckoutResult]:
    """New buyers pay for gold, one after another, until `stop` is set. On a machine loaded
    many times over, the bot may refuse a pre-checkout whose database read took over its 3 s
    ("temporary problem", nothing charged): that buyer paid nothing and is left out."""
    sold: list[CheckoutResult] = []
    while not stop.is_set():
        buyer = emulator.user(f"Late buyer {len(sold)}")
        invoice = await request_invoice(emulator, buyer, "gold")
        since = emulator.mark()
        result = await emulator.pay(buyer, invoice)
        if not result.ok:
            refused = result.error_message
            assert refused == refusal_message(Refusal.TEMPORARY), refused
            continue
        await emulator.wait_for_message(buyer.id, text_contains="Thank you", since=since)
        sold.append(result)
    return sold


async def program(*command: str | Path) -> None:
    """Run an operator's command (createdb, pg_restore, cp) as docs/operations.md writes it."""
    process = await asyncio.create_subprocess_exec(
        *map(str, command), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    said, _ = await process.communicate()
    assert process.returncode == 0, f"{command}: {said.decode()}"


@pytest.fixture
async def restored_names(request: pytest.FixtureRequest) -> AsyncIterator[list[str]]:
    """PostgreSQL databases a test restores into, dropped after it (and its bots) ended."""
    names: list[str] = []
    yield names
    if names:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        for name in names:
            await server.drop_database(name)


async def restore(
    backup: Path, backend: str, request: pytest.FixtureRequest, names: list[str]
) -> str:
    """The backup restored into a new database, as docs/operations.md, Backups, says; its URL."""
    if backend == "sqlite":
        restored = backup.parent / "restored" / "bot.db"
        restored.parent.mkdir()
        await program("cp", backup, restored)
        return f"sqlite+aiosqlite:///{restored}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = "restored_" + backup.stem
    where = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres"]
    await program("createdb", *where, "--owner", "postgres", name)
    names.append(name)
    await program("pg_restore", "--no-owner", *where, "-d", name, backup)
    return server.url(name)


def names_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def charges_in(sessions: SessionFactory) -> set[str]:
    async with sessions() as session:
        return set((await session.exec(select(Payment.telegram_payment_charge_id))).all())


async def entitlement_count(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return (await session.exec(select(func.count()).select_from(Entitlement))).one()


@pytest.mark.slow
async def test_a_backup_taken_while_the_bot_sells_restores_every_payment_and_grant(
    restored_names: list[str],
    emulator: BotAPIEmulator,
    start_bot: Callable[..., Awaitable[RunningBot]],
    database_url: str,
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    shop = await start_bot()
    buyers = [emulator.user(name) for name in ("Ann", "Bob", "Cid")]
    products = ["gold", "pro_month", "supporter"]
    paid = [
        await buy(emulator, buyer, product)
        for buyer, product in zip(buyers, products, strict=True)
    ]
    target = tmp_path / f"shop_{backend}.backup"

    stop = asyncio.Event()
    selling = asyncio.create_task(sell_until(emulator, stop))
    await eventually_sold(emulator, len(paid) + 1)  # the bot is mid-sale when the copy starts
    # A fresh interpreter, as an operator starts it: a forked child's start would hold up this
    # process's event loop, and the bot serving in it, until the fork server is up.
    code, stdout, stderr = await run_command(
        tmp_path, "backup", str(target), fresh=True, database_url=database_url
    )
    stop.set()
    sold_meanwhile = await selling
    await shop.stop()

    assert (code, stderr) == (0, ""), stdout
    printed = PRINTED.match(stdout.strip())
    assert printed is not None, stdout
    assert printed["file"] == str(target)
    restored_url = await restore(target, backend, request, restored_names)
    engine = create_engine(restored_url)
    try:
        restored = create_session_factory(engine)
        charges = await charges_in(restored)
        # One snapshot: the payments it counted are exactly those it holds, every one made
        # before it, and some of those made while it was taken.
        assert len(charges) == int(printed["payments"])
        assert {p.charge_id for p in paid} <= charges
        assert charges <= {p.charge_id for p in paid + sold_meanwhile}
        assert sold_meanwhile, "the bot sold nothing while the backup ran"
        await start_bot(database_url=restored_url)
        await check_restored(emulator, restored, list(zip(buyers, paid, strict=True)))
    finally:
        await engine.dispose()


async def eventually_sold(emulator: BotAPIEmulator, count: int) -> None:
    async def done() -> bool:
        return len(emulator.calls("answerPreCheckoutQuery")) >= count

    await eventually(done, timeout=30)


async def check_restored(
    emulator: BotAPIEmulator, restored: SessionFactory, paid: list[tuple[User, CheckoutResult]]
) -> None:
    """The bot, on the restored database, knows every payment and grant it held."""
    for buyer, payment in paid:
        listing = await say(emulator, buyer, "/mypurchases")
        assert payment.charge_id in listing["text"], listing["text"]
    grants = await entitlement_count(restored)
    charges = await charges_in(restored)
    buyer, first = paid[0]
    assert first.successful_payment_update_id is not None
    duplicate = emulator.redeliver(first.successful_payment_update_id)
    await status_becomes(restored, duplicate, InboxStatus.DONE)
    await say(emulator, buyer, "/help")  # sent after any second confirmation would be
    messages = emulator.sent_messages(buyer.id)
    assert len([m for m in messages if "Thank you" in m.get("text", "")]) == 1
    assert await entitlement_count(restored) == grants
    assert await charges_in(restored) == charges


@sqlite_only
async def test_backup_refuses_a_file_that_exists_unless_forced(
    database_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "shop.backup"
    target.write_text("last week's backup")

    code, stdout, stderr = await run_command(
        tmp_path, "backup", str(target), database_url=database_url
    )

    assert (code, stdout) == (2, "")
    assert stderr == f"{target} exists: give another FILE, or add --force to replace it\n"
    assert target.read_text() == "last week's backup"
    code, stdout, stderr = await run_command(
        tmp_path, "backup", "--force", str(target), database_url=database_url
    )
    assert (code, stderr) == (0, ""), stdout
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM payments").fetchone() == (0,)
    assert names_in(tmp_path) == ["bot.db", "shop.backup"]


@sqlite_only
@pytest.mark.parametrize(
    ("file", "says"),
    [
        (
            "{tmp}/missing/shop.backup",
            "no folder {tmp}/missing: create it, or give FILE in another folder",
        ),
        ("/sys/shop.backup", "cannot write in /sys: Permission denied"),
        ("{tmp}", "{tmp} is a folder: give the name of a file to write"),
        ("bot.db", "bot.db is the database itself: give another FILE"),
    ],
    ids=["missing folder", "permission denied", "a folder", "the database itself"],
)
async def test_backup_that_cannot_write_says_why_in_one_line(
    database_url: str, tmp_path: Path, file: str, says: str
) -> None:
    before = names_in(tmp_path)

    code, stdout, stderr = await run_command(
        tmp_path, "backup", "--force", file.format(tmp=tmp_path), database_url=database_url
    )

    assert (code, stdout, stderr) == (2, "", says.format(tmp=tmp_path) + "\n")
    assert names_in(tmp_path) == before


async def test_a_backup_that_fails_midway_leaves_no_file(db_path: Path, tmp_path: Path) -> None:
    with sqlite3.connect(db_path) as other:  # a database, but not the shop's
        other.execute("CREATE TABLE notes (text TEXT)")
    target = tmp_path / "shop.backup"

    code, stdout, stderr = await run_command(
        tmp_path, "backup", str(target), database_url=f"sqlite+aiosqlite:///{db_path}"
    )

    assert (code, stdout) == (2, "")
    assert stderr == f"cannot back up {db_path}: no such table: payments\n"
    assert names_in(tmp_path) == ["bot.db"]


async def test_backup_of_an_unreachable_postgres_masks_the_password(tmp_path: Path) -> None:
    password = "pg-password-1234"
    url = f"postgresql+asyncpg://shop:{password}@127.0.0.1:{free_port()}/shop?ssl=disable"

    code, stdout, stderr = await run_command(
        tmp_path, "backup", str(tmp_path / "shop.backup"), database_url=url
    )

    assert (code, stdout) == (2, "")
    assert stderr.startswith("cannot reach postgresql+asyncpg://shop:***@127.0.0.1:"), stderr
    assert len(stderr.splitlines()) == 1 and password not in stderr
    assert names_in(tmp_path) == []


async def server_major(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            number = await connection.scalar(text("SHOW server_version_num"))
            return int(number) // 10000
    finally:
        await engine.dispose()


@postgres_only
@pytest.mark.parametrize("pg_dump", ["missing", "older"])
async def test_backup_without_a_pg_dump_for_the_server_names_the_package(
    database_url: str, tmp_path: Path, pg_dump: str
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    if pg_dump == "older":  # what Debian's postgresql-client-13 says
        fake = tools / "pg_dump"
        fake.write_text('#!/bin/sh\necho "pg_dump (PostgreSQL) 13.0"\n')
        fake.chmod(0o755)
    major = await server_major(database_url)
    target = tmp_path / "shop.backup"

    code, stdout, stderr = await run_command(
        tmp_path, "backup", str(target), database_url=database_url, path=tools
    )

    assert (code, stdout) == (2, "")
    assert len(stderr.splitlines()) == 1, stderr
    assert f"PostgreSQL {major}" in stderr and f"install postgresql-client-{major} " in stderr
    if pg_dump == "older":
        assert "PostgreSQL 13's, older than the server" in stderr
    assert not target.exists()


def test_the_dump_connects_with_libpq_parameters_and_never_the_password() -> None:
    from storage.backup import libpq_conninfo

    url = make_url(
        "postgresql+asyncpg://shop:s3cret@db.example.com:5433/my'shop"
        "?ssl=require&prepared_statement_cache_size=0&application_name=backup"
    )

    conninfo = libpq_conninfo(url)

    assert conninfo == (
        "sslmode='require' application_name='backup' host='db.example.com' port='5433' "
        "user='shop' dbname='my\\'shop'"
    )
