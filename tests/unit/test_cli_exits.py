"""The one table of how each command of `python -m bot` answers an error: exit code and line."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy.exc import OperationalError

from bot.catalog import CatalogError
from bot.cli.commands import COMMANDS
from bot.cli.exits import ANSWERS, run_command
from bot.cli.parser import RUN, build_parser
from bot.config import ConfigError
from storage.db import DatabaseNotFound
from storage.migrate import SchemaError

REFUSED = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)")
DATABASE_LOCKED = OperationalError("SELECT 1", {}, Exception("database is locked\nmore"))


def test_every_command_the_parser_names_has_a_step_and_a_row_of_answers():
    argv = {
        RUN: [],
        "export": ["export", "-"],
        "codes": ["codes", "count"],
        "backup": ["backup", "shop.backup"],
    }
    parser = build_parser()
    names = {parser.parse_args(argv.get(name, [name])).command or RUN for name in COMMANDS}
    assert names == set(COMMANDS) and set(ANSWERS) <= names
    with pytest.raises(SystemExit):
        parser.parse_args(["restore"])  # an unknown name never reaches the table


def test_errors_named_by_module_are_exceptions_there():
    named = [
        kind for row in ANSWERS.values() for a in row for kind in a.kinds if isinstance(kind, str)
    ]
    assert named == ["bot.leadership:ActiveLockLost"]
    for kind in named:
        module, _, name = kind.partition(":")
        assert issubclass(getattr(importlib.import_module(module), name), Exception)


def raising(error: Exception):
    def step() -> int:
        raise error

    return step


URL = "postgresql+asyncpg://shop:hunter2@db.example.com/shop"
CANNOT_USE = "cannot use the database at postgresql+asyncpg://shop:***@db.example.com/shop"


@pytest.mark.parametrize(
    ("command", "error", "code", "line"),
    [
        ("run", ConfigError("invalid ADMIN_IDS: x"), 2, "invalid ADMIN_IDS: x"),
        ("run", CatalogError("shop.toml: price"), 2, "shop.toml: price"),
        ("migrate", SchemaError("not the shop's"), 2, "not the shop's"),
        ("export", DatabaseNotFound("no database file at x"), 2, "no database file at x"),
        ("export", REFUSED, 2, f"{CANNOT_USE}: {REFUSED} (check DATABASE_URL and the server)"),
        (
            "stats",
            DATABASE_LOCKED,
            2,
            f"{CANNOT_USE}: database is locked (check DATABASE_URL and the server)",
        ),
        (
            "migrate",
            FileNotFoundError(2, "No such file or directory", "out/x.csv"),
            2,
            "cannot use out/x.csv: No such file or directory; check the path and its permissions",
        ),
        (
            "a command added later",
            REFUSED,
            2,
            f"{CANNOT_USE}: {REFUSED} (check DATABASE_URL and the server)",
        ),
    ],
)
def test_a_command_answers_an_error_it_names_with_its_code_and_one_line(
    capsys, monkeypatch, command, error, code, line
):
    monkeypatch.setenv("DATABASE_URL", URL)
    assert run_command(command, raising(error)) == code
    assert capsys.readouterr() == ("", f"{line}\n")


def test_run_answers_a_lost_active_lock_with_exit_3(capsys):
    from bot.leadership import ActiveLockLost

    assert run_command("run", raising(ActiveLockLost("another process took over"))) == 3
    assert capsys.readouterr() == ("", "another process took over\n")


@pytest.mark.parametrize(
    ("command", "error"),
    [("status", KeyError()), ("check", ValueError("x")), ("run", KeyError())],
)
def test_an_error_a_command_does_not_name_is_a_traceback_and_exit_1(capsys, command, error):
    assert run_command(command, raising(error)) == 1
    stdout, stderr = capsys.readouterr()
    assert stdout == "" and stderr.startswith("Traceback (most recent call last):")
    assert type(error).__name__ in stderr.rstrip().splitlines()[-1]


def test_a_traceback_on_stderr_holds_no_token(capsys):
    try:
        raise ConnectionError("POST http://127.0.0.1/bot123456:AAE-secret-part/getMe failed")
    except ConnectionError as cause:
        bug = RuntimeError("a bug while calling Telegram")
        bug.__cause__ = cause

    assert run_command("run", raising(bug)) == 1
    stderr = capsys.readouterr().err
    assert "ConnectionError: POST http://127.0.0.1/bot<redacted>/getMe failed" in stderr
    assert "AAE-secret-part" not in stderr and "RuntimeError: a bug" in stderr
