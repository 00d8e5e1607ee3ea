"""`python -m bot` as a child process: bad set-up stops it with one line; good set-up serves."""

from __future__ import annotations

import signal
import sqlite3

import pytest
from alembic.script import ScriptDirectory

from bot.services.offers import PayloadSigner
from storage.migrate import migrations_config
from tests.e2e.process import BotProcess, run_command, run_to_exit
from tests.helpers import say

TOKEN = "123456:TEST-token"


async def test_without_token_prints_where_to_get_one_and_exits_2(tmp_path):
    code, stderr = await run_to_exit(tmp_path)
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert "BOT_TOKEN" in line and "@BotFather" in line and ".env" in line


async def test_token_in_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("BOT_TOKEN=not-a-token\n")
    code, stderr = await run_to_exit(tmp_path)
    assert (code, stderr.strip().splitlines()[0].split(":")[0]) == (2, "invalid BOT_TOKEN")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADMIN_IDS", "me,you"),
        ("LOG_LEVEL", "chatty"),
        ("TELEGRAM_API_BASE", "nowhere"),
        ("DATABASE_URL", "postgresql://shop:hunter2@db.example/shop"),
    ],
)
async def test_invalid_variable_exits_2_naming_it(tmp_path, variable, value):
    code, stderr = await run_to_exit(tmp_path, bot_token=TOKEN, **{variable: value})
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert line.startswith(f"invalid {variable}:")
    assert TOKEN not in stderr and "hunter2" not in stderr


@pytest.mark.parametrize(
    ("price", "said"),
    [("price = -5", "price"), ("prise = 40", 'unknown field "prise" (did you mean "price"?)')],
)
async def test_bad_catalog_exits_2_naming_file_product_and_field(tmp_path, price, said):
    catalog = tmp_path / "shop.toml"
    catalog.write_text(
        f'[[product]]\nid = "gold"\ntitle = "Gold"\ndescription = "d"\n{price}\n'
        'kind = "one_time"\ngrants = ["gold"]\n'
    )
    code, stderr = await run_to_exit(tmp_path, bot_token=TOKEN, catalog_path=catalog)
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert str(catalog) in line and "product gold" in line and said in line


async def test_help_lists_the_commands_without_a_token(tmp_path):
    code, stdout, _ = await run_command(tmp_path, "--help")
    assert code == 0
    assert "migrate" in stdout and "Without a command: run the bot" in stdout


HEAD = ScriptDirectory.from_config(migrations_config()).get_current_head()


async def test_migrate_needs_only_the_database_and_prints_the_schema_version(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    assert await run_command(tmp_path, "migrate", database_url=url) == (0, f"{HEAD}\n", "")
    assert await run_command(tmp_path, "migrate", database_url=url) == (0, f"{HEAD}\n", "")


@pytest.mark.parametrize("args", [(), ("migrate",)])
async def test_a_database_of_another_application_stops_it_with_one_line(tmp_path, args):
    with sqlite3.connect(tmp_path / "other.db") as other:
        other.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    other.close()
    url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    code, _, stderr = await run_command(tmp_path, *args, bot_token=TOKEN, database_url=url)
    assert code == 2
    assert "Traceback" not in stderr
    line = stderr.strip().splitlines()[-1]  # after the start-up warnings, if it got that far
    assert line == (
        "the database has tables that are not the shop's (customers): "
        "set DATABASE_URL to the shop's database or to an empty one"
    )


async def test_catalog_that_is_not_utf8_exits_2_with_one_line(tmp_path):
    catalog = tmp_path / "shop.toml"
    catalog.write_bytes(
        '[[product]]\nid = "gold"\ntitle = "Médaille"\ndescription = "d"\nprice = 5\n'
        'kind = "one_time"\ngrants = ["gold"]\n'.encode("latin-1")
    )
    code, stderr = await run_to_exit(tmp_path, bot_token=TOKEN, catalog_path=catalog)
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert str(catalog) in line and "not valid UTF-8" in line


async def test_plain_http_to_another_host_exits_2_as_it_would_send_the_token_in_clear(tmp_path):
    code, stderr = await run_to_exit(
        tmp_path, bot_token=TOKEN, telegram_api_base="http://bot-api.example:8081"
    )
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert line.startswith("invalid TELEGRAM_API_BASE:") and "TELEGRAM_API_INSECURE" in line
    assert TOKEN not in stderr


async def test_token_telegram_rejects_exits_2_naming_bot_token(emulator, tmp_path):
    rejected = "123456:REVOKED-token"
    code, stderr = await run_to_exit(
        tmp_path, bot_token=rejected, telegram_api_base=emulator.base_url
    )
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert line.startswith("BOT_TOKEN was rejected by Telegram (401 Unauthorized)")
    assert "REVOKED" not in stderr
    assert [r.method for r in emulator.requests] == ["getMe"]
    assert not (tmp_path / "data").exists()  # stopped before touching the database


async def test_child_process_serves_the_whole_purchase_flow(emulator, tmp_path):
    bot = BotProcess(emulator, tmp_path, admin_ids="900001", log_json="true")
    await bot.start()
    try:
        buyer = emulator.user("Uma")
        welcome = await say(emulator, buyer, "/start", timeout=15)
        assert "Telegram Stars" in welcome["text"]
        listing = await say(emulator, buyer, "/shop")
        since = emulator.mark()
        emulator.press_button(buyer, listing, "buy:gold")
        invoice = await emulator.wait_for_message(buyer.id, since=since)
        result = await emulator.pay(buyer, invoice)
        assert result.ok
        await emulator.wait_for_message(buyer.id, text_contains="Thank you", since=since)
        mine = await say(emulator, buyer, "/mypurchases")
        assert "gold, forever" in mine["text"] and result.charge_id in mine["text"]
        # A forged payload is refused by the child just as in-process.
        forged = await emulator.pay(
            buyer, invoice, payload=PayloadSigner("1:other").encode("gold", 25)
        )
        assert not forged.ok and "not issued by this shop" in (forged.error_message or "")

        bot.signal(signal.SIGTERM)
        assert await bot.wait(timeout=10) == 0
    finally:
        await bot.kill()
    log = bot.log()
    assert emulator.token not in log
    assert '"charge=' not in log  # JSON lines, one object each
    assert all(line.startswith("{") for line in log.strip().splitlines())
    assert result.charge_id in log
