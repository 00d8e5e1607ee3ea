"""No traceback reaches an operator: each command of `python -m bot` that cannot use its
database, or a path it was given, says so in one line on stderr and exits 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.process import run_command
from tests.helpers import ADMIN_ID
from tests.postgres import free_port

PASSWORD = "hunter2"

# Each command as an operator types it (the bot itself: no command); a new one is a line here.
COMMANDS: dict[str, tuple[str, ...]] = {
    "migrate": ("migrate",),
    "status": ("status",),
    "stats": ("stats",),
    "export": ("export", "payments.csv"),
    "codes add": ("codes", "add", "vpn_key", "codes.txt"),
    "codes count": ("codes", "count"),
    "the bot": (),
}


def unreachable_postgresql(_: Path) -> str:
    return f"postgresql+asyncpg://shop:{PASSWORD}@127.0.0.1:{free_port()}/shop"


def folder_that_is_a_file(workdir: Path) -> str:
    (workdir / "data").write_text("not a folder\n")
    return f"sqlite+aiosqlite:///{workdir / 'data' / 'bot.db'}"


def missing_folder(workdir: Path) -> str:
    return f"sqlite+aiosqlite:///{workdir / 'nowhere' / 'bot.db'}"


FAULTS: dict[str, Callable[[Path], str]] = {
    "unreachable postgresql": unreachable_postgresql,
    "a folder that is a file": folder_that_is_a_file,
    "a missing folder": missing_folder,
}
# Not failures: the bot waits for its PostgreSQL to come back (tests/unit/test_lock_outage.py),
# and the bot and migrate create a missing folder for the SQLite file (README, The database).
NOT_FAILURES = {
    ("the bot", "unreachable postgresql"),
    ("the bot", "a missing folder"),
    ("migrate", "a missing folder"),
}
CASES = [(c, f) for c in COMMANDS for f in FAULTS if (c, f) not in NOT_FAILURES]


@pytest.mark.parametrize(("command", "fault"), CASES)
async def test_a_command_that_cannot_use_its_database_says_so_in_one_line_and_exits_2(
    emulator, tmp_path, command, fault
):
    (tmp_path / "codes.txt").write_text("CODE-1\n")
    url = FAULTS[fault](tmp_path)

    code, stdout, stderr = await run_command(
        tmp_path,
        *COMMANDS[command],
        database_url=url,
        bot_token=emulator.token,
        telegram_api_base=emulator.base_url,
        payload_secret="cli-failures-payload-secret",  # else the bot warns on stderr
        admin_ids=ADMIN_ID,
    )

    assert (code, stdout) == (2, ""), stderr
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert "Traceback" not in stderr and PASSWORD not in stderr
    if fault == "unreachable postgresql":
        assert stderr.startswith("cannot use the database at postgresql+asyncpg://shop:***@")
    else:
        assert str(tmp_path) in stderr  # names where it looked


async def test_export_into_a_missing_folder_names_the_path_given_not_its_temporary_file(
    database_url, tmp_path
):
    code, stdout, stderr = await run_command(
        tmp_path, "export", "out/x.csv", database_url=database_url
    )

    assert (code, stdout) == (2, "")
    assert stderr.startswith("cannot use out/x.csv: No such file or directory")
    assert stderr.count("\n") == 1 and "partial" not in stderr
    assert not (tmp_path / "out").exists()
