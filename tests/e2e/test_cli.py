"""The operator's commands: `check` names each broken piece and writes nothing; `export` and
`stats` need no token and read what the database holds."""

from __future__ import annotations

import asyncio
import csv
import io
import socket
import sqlite3

import pytest

from bot.cli.check import TOKEN_REJECTED, Check, check_readiness
from bot.services.exports import COLUMNS
from storage import upgrade_schema
from storage.migrate import migrations_config
from tests.e2e.process import run_command
from tests.fixtures import restore_first_release
from tests.helpers import (
    ADMIN_ID,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    add_sales,
    buy,
    say,
    sqlite_only,
)

SECRET = "check-payload-secret-0123456789"
CHECKS = [
    "settings",
    "catalog",
    "database",
    "token",
    "webhook",
    "admins",
    "payload secret",
    "files",
]


def head() -> str:
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(migrations_config()).get_current_head()
    assert found is not None
    return found


@pytest.fixture
def ready(emulator, database_url) -> dict[str, object]:
    """What a production-ready set-up sets, pointed at the emulator."""
    return {
        "bot_token": emulator.token,
        "telegram_api_base": emulator.base_url,
        "database_url": database_url,
        "admin_ids": str(ADMIN_ID),
        "payload_secret": SECRET,
    }


async def findings(**overrides) -> dict[str, tuple[bool, str]]:
    checks = await check_readiness(**overrides)
    assert [c.name for c in checks] == CHECKS  # one line per check, always all of them
    return {c.name: (c.ok, c.detail) for c in checks}


def failed(found: dict[str, tuple[bool, str]]) -> list[str]:
    return [name for name, (ok, _) in found.items() if not ok]


async def test_check_passes_a_ready_setup_with_one_line_each_and_exit_0(
    emulator, ready, database_url, tmp_path
):
    await upgrade_schema(database_url)

    code, stdout, stderr = await run_command(tmp_path, "check", **ready)

    assert (code, stderr) == (0, ""), stdout
    lines = stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"✓ {name}" for name in CHECKS]
    assert f"schema at {head()} (current)" in lines[2]
    assert "the bot is @stars_shop_test_bot" in lines[3]
    assert [r.method for r in emulator.requests] == ["getMe", "getWebhookInfo", "getChat"]


@sqlite_only
@pytest.mark.empty_database
async def test_check_exits_1_and_says_what_is_wrong(emulator, ready, tmp_path, db_path):
    code, stdout, _ = await run_command(tmp_path, "check", **ready)  # no database yet

    assert code == 1
    assert stdout.splitlines()[2].startswith("✗ database: no database file at ")
    assert not db_path.exists()  # nor made one


async def test_check_names_a_token_telegram_rejects(emulator, ready, database_url):
    await upgrade_schema(database_url)

    found = await findings(**{**ready, "bot_token": "123456:REVOKED-token"})

    assert failed(found) == ["token", "webhook", "admins"]
    assert found["token"] == (False, TOKEN_REJECTED)
    assert found["webhook"] == (False, "not checked: getMe did not succeed")
    assert "REVOKED" not in str(found)


async def test_check_names_a_bad_catalog(ready, database_url, tmp_path):
    await upgrade_schema(database_url)
    catalog = tmp_path / "shop.toml"
    catalog.write_text('[[product]]\nid = "gold"\nprice = 5\n')

    found = await findings(**ready, catalog_path=catalog)

    assert failed(found) == ["catalog"]
    assert str(catalog) in found["catalog"][1] and "product gold" in found["catalog"][1]


async def test_check_names_a_database_that_cannot_be_reached(ready):
    with socket.socket() as probe:  # a loopback port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://shop:hunter2@127.0.0.1:{port}/shop"

    found = await findings(**{**ready, "database_url": url})

    assert failed(found) == ["database"]
    detail = found["database"][1]
    assert detail.startswith(f"cannot read postgresql+asyncpg://shop:***@127.0.0.1:{port}/shop")
    assert "hunter2" not in detail


@sqlite_only
async def test_check_names_a_schema_that_is_behind_and_leaves_it_so(ready, database_url, db_path):
    await upgrade_schema(database_url)
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0002'")
    connection.close()
    before = db_path.read_bytes()

    found = await findings(**ready)

    assert failed(found) == ["database"]
    assert found["database"][1].startswith(f"schema at 0002, this release needs {head()}: run")
    assert db_path.read_bytes() == before  # nothing written, nothing migrated


@sqlite_only
@pytest.mark.empty_database
async def test_check_names_a_database_the_first_release_made(ready, db_path):
    restore_first_release(db_path)
    found = await findings(**ready)
    assert failed(found) == ["database"] and "has no schema version" in found["database"][1]


async def webhook_finding(**settings: object) -> Check:
    checks = await check_readiness(**settings)
    return next(check for check in checks if check.name == "webhook")


async def test_check_in_polling_mode_warns_of_a_webhook_without_its_secret_path(
    emulator, ready, database_url
):
    await upgrade_schema(database_url)
    emulator.telegram.webhook.set_webhook({"url": "https://hooks.example.com/s3cret-path"})

    found = await webhook_finding(**ready)

    assert (found.ok, found.warning) == (True, True)
    assert found.detail.startswith("polling mode (WEBHOOK_URL unset), but a webhook is set (to ")
    assert "hooks.example.com" in found.detail and "removes it at start" in found.detail
    assert "s3cret" not in found.detail


async def test_check_in_polling_mode_passes_without_a_webhook(emulator, ready, database_url):
    await upgrade_schema(database_url)

    found = await webhook_finding(**ready)

    assert (found.ok, found.warning) == (True, False)
    assert found.detail == "polling mode (WEBHOOK_URL unset); none set"


async def test_check_in_webhook_mode_says_whether_telegram_agrees_with_its_last_error(
    emulator, ready, database_url
):
    await upgrade_schema(database_url)
    webhook = {**ready, "webhook_url": WEBHOOK_URL, "webhook_secret": WEBHOOK_SECRET}
    none_set = await webhook_finding(**webhook)
    emulator.telegram.webhook.set_webhook({"url": "https://other.example.com/hook"})
    another = await webhook_finding(**webhook)
    emulator.telegram.webhook.set_webhook({"url": WEBHOOK_URL})  # routed nowhere: it fails
    update_id = emulator.send_text(emulator.user("Ida"), "/start")
    await emulator.wait_for_webhook(update_id, taken=False)

    agrees = await webhook_finding(**webhook)

    assert (none_set.ok, none_set.warning) == (True, True)
    assert "Telegram has no webhook set: the bot sets it at start" in none_set.detail
    assert not another.ok and "Telegram posts to another URL (on other.example.com)" in (
        another.detail
    )
    assert (agrees.ok, agrees.warning) == (True, True)
    assert agrees.detail.startswith("webhook mode (WEBHOOK_URL, to shop.example.com); Telegram")
    assert "; 1 update waits at Telegram; last error at " in agrees.detail
    assert agrees.detail.endswith(" UTC: Failed to resolve host: Name or service not known")
    assert "/telegram/updates" not in agrees.detail and WEBHOOK_SECRET not in agrees.detail


async def test_check_names_admins_who_cannot_be_messaged(ready, database_url):
    await upgrade_schema(database_url)

    some = await findings(**{**ready, "admin_ids": f"{ADMIN_ID},111"})
    none = await findings(**{**ready, "admin_ids": ""})

    assert failed(some) == ["admins"] and "cannot message 111 (" in some["admins"][1]
    assert "chat not found" in some["admins"][1] and str(ADMIN_ID) not in some["admins"][1]
    assert failed(none) == ["admins"] and none["admins"][1].startswith("ADMIN_IDS is empty")


async def test_check_names_a_missing_payload_secret(ready, database_url):
    await upgrade_schema(database_url)
    found = await findings(**{**ready, "payload_secret": None})
    assert failed(found) == ["payload secret"]
    assert found["payload secret"][1].startswith("PAYLOAD_SECRET is not set")


async def test_check_with_bad_settings_still_checks_the_catalog_and_database(ready, database_url):
    await upgrade_schema(database_url)

    found = await findings(**{**ready, "admin_ids": "me,you"})

    assert found["settings"][1].startswith("invalid ADMIN_IDS:")
    assert found["catalog"][0] and found["database"][0]
    assert failed(found) == ["settings", "token", "webhook", "admins"]


async def test_check_without_a_token_still_checks_the_payload_secret(ready, database_url):
    await upgrade_schema(database_url)
    no_token = {**ready, "bot_token": ""}

    with_secret = await findings(**no_token)
    without = await findings(**{**no_token, "payload_secret": None})
    too_short = await findings(**{**no_token, "payload_secret": "short"})

    assert with_secret["settings"][1].startswith("BOT_TOKEN is not set")
    assert with_secret["payload secret"] == (True, "PAYLOAD_SECRET is set")
    assert without["payload secret"][1].startswith("PAYLOAD_SECRET is not set")
    assert too_short["payload secret"][1].startswith("invalid PAYLOAD_SECRET: must be at least")


async def test_export_writes_a_file_without_a_token(database_url, tmp_path):
    _, refunded, refund = await add_sales(database_url)
    target = tmp_path / "january.csv"

    code, stdout, stderr = await run_command(
        tmp_path,
        "export",
        "--since",
        "2026-01-11",
        "--until",
        "2026-01-11",
        str(target),
        database_url=database_url,
    )

    assert (code, stdout, stderr) == (0, "", f"1 payment(s) written to {target}\n")
    [row] = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert row["telegram_payment_charge_id"] == refunded.telegram_payment_charge_id
    assert row["paid_at"] == refunded.paid_at.isoformat() and row["total_amount"] == "50"
    assert row["refunded_at"] == refund.refunded_at.isoformat() and row["refund_reason"] == "a, b"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


async def test_export_to_stdout_keeps_stderr_clean(database_url, tmp_path):
    await add_sales(database_url)

    code, stdout, stderr = await run_command(tmp_path, "export", "-", database_url=database_url)

    assert (code, stderr) == (0, "")
    rows = list(csv.reader(io.StringIO(stdout)))
    assert rows[0] == list(COLUMNS) and [r[0] for r in rows[1:]] == ["stx-0", "stx-1", "stx-2"]


@pytest.mark.parametrize("command", ["export", "stats"])
async def test_export_and_stats_refuse_a_database_that_is_not_there(tmp_path, command):
    url = f"sqlite+aiosqlite:///{tmp_path / 'nowhere.db'}"
    args = [command, "-"] if command == "export" else [command]

    code, stdout, stderr = await run_command(tmp_path, *args, database_url=url)

    assert (code, stdout) == (2, "")
    assert stderr == f"no database file at {tmp_path / 'nowhere.db'}\n"
    assert not (tmp_path / "nowhere.db").exists()


async def test_export_refuses_dates_that_select_nothing(tmp_path, database_url):
    code, _, stderr = await run_command(
        tmp_path, "export", "--since", "2026-02-01", "--until", "2026-01-31", "x.csv"
    )
    assert (code, stderr) == (2, "--since 2026-02-01 is after --until 2026-01-31\n")
    code, _, stderr = await run_command(tmp_path, "export", "--since", "1 Feb", "x.csv")
    assert code == 2 and "'1 Feb' is not a date; use YYYY-MM-DD" in stderr


async def test_stats_prints_what_stats_shows_in_the_chat(emulator, shop, database_url, tmp_path):
    ann = emulator.user("Ann")
    await buy(emulator, ann, "gold")
    await buy(emulator, ann, "pro_month")
    chat = (await say(emulator, emulator.user("Admin", id=ADMIN_ID), "/stats"))["text"]

    code, stdout, stderr = await run_command(tmp_path, "stats", database_url=database_url)

    assert (code, stderr) == (0, "")
    # The same text, but for the minute in "as of" that may have turned meanwhile.
    assert stdout.splitlines()[1:] == chat.splitlines()[1:]
    assert "all time    " in stdout and "Pro, 30 days (pro_month): 1" in stdout


@pytest.mark.slow
async def test_commands_that_do_not_talk_to_telegram_never_import_aiogram(tmp_path):
    """aiogram takes seconds to import: only `run` and `check` may pay for it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    await upgrade_schema(url)  # status, stats and export read its schema
    commands = [("--help",), ("migrate",), ("status",), ("stats",), ("export", "-")]
    # Fresh interpreters, side by side: each spends its time importing.
    results = await asyncio.gather(
        *(
            run_command(tmp_path, *args, fresh=True, database_url=url, pythonprofileimporttime=1)
            for args in commands
        )
    )
    for args, (code, _, stderr) in zip(commands, results, strict=True):
        # Python lists every module it imports on stderr, one line each.
        assert code == 0, stderr
        imported = [line.split("|")[-1].strip() for line in stderr.splitlines()]
        assert "bot.cli" in imported, args  # the list is there to read
        assert [name for name in imported if name.split(".")[0] == "aiogram"] == [], args
