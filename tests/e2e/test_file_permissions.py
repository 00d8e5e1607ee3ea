"""What the bot writes to disk is for its owner only, whatever the umask: the SQLite database
(and so its -wal and -shm files, which SQLite makes with the database's permissions), its lock
file, the folders it makes for them, and `python -m bot export`'s CSV. `check` warns when
`.env` or the database can be read by others, and still passes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import upgrade_schema
from tests.e2e.process import run_command
from tests.helpers import ADMIN_ID, add_sales, buy, sqlite_only


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems give a user: files readable by everyone unless made otherwise."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@sqlite_only
async def test_a_new_sqlite_database_its_wal_shm_lock_and_folders_are_owner_only(
    emulator, start_bot, tmp_path, usual_umask
):
    folder = tmp_path / "data" / "shop"
    database = folder / "bot.db"
    await start_bot(database_url=f"sqlite+aiosqlite:///{database}")
    await buy(emulator, emulator.user("Ann"), "gold")  # a payment, in the -wal until checkpoint

    files = [database, *(Path(f"{database}{suffix}") for suffix in ("-wal", "-shm", ".lock"))]
    assert {f.name: oct(mode(f)) for f in files} == {f.name: oct(0o600) for f in files}
    assert (oct(mode(folder)), oct(mode(folder.parent))) == (oct(0o700), oct(0o700))


@sqlite_only
async def test_export_writes_a_csv_only_its_owner_may_read(database_url, tmp_path, usual_umask):
    await add_sales(database_url)
    target = tmp_path / "payments.csv"
    target.write_text("an older export\n")  # replaced, with the new file's mode
    target.chmod(0o644)

    code, _, stderr = await run_command(
        tmp_path, "export", str(target), fresh=True, database_url=database_url
    )

    assert code == 0, stderr
    assert oct(mode(target)) == oct(0o600)
    assert target.read_text(encoding="utf-8").startswith("telegram_payment_charge_id,")


@sqlite_only
async def test_check_warns_about_an_env_file_and_a_database_others_may_read(
    emulator, database_url, db_path, tmp_path
):
    await upgrade_schema(database_url)
    env = tmp_path / ".env"
    env.write_text(f"BOT_TOKEN={emulator.token}\n")
    settings = {
        "telegram_api_base": emulator.base_url,
        "database_url": database_url,
        "admin_ids": str(ADMIN_ID),
        "payload_secret": "check-payload-secret-0123456789",
    }
    for path in (env, db_path):
        path.chmod(0o600)
    code, stdout, _ = await run_command(tmp_path, "check", **settings)
    assert (code, stdout.splitlines()[-1]) == (0, f"✓ files: {FILES_OK}"), stdout

    for path in (env, db_path):
        path.chmod(0o644)
    code, stdout, _ = await run_command(tmp_path, "check", **settings)

    assert code == 0, stdout  # a warning: the bot works, but should be told
    # (and the -wal the check's reading made beside it, with the database's permissions)
    line = stdout.splitlines()[-1]
    assert line.startswith(f"! files: others may read .env, {db_path}"), line
    assert f": run chmod 600 .env {db_path}" in line
    assert emulator.token.partition(":")[2] not in stdout


FILES_OK = "only their owner may read .env and the SQLite database"
