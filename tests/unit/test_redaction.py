"""Secrets are replaced in any text, in every log record (message and traceback), and in every
line the bot's log sink writes, whole."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from functools import partial

import pytest
from loguru import logger

from bot.config import load_settings
from bot.logging import redact_record, setup_logging
from bot.redaction import REDACTED, Redactor

TOKEN = "123456:AAE-secret_part-of-the-token"
SECRET = "AAE-secret_part-of-the-token"


def test_token_its_secret_part_and_any_token_path_are_replaced():
    redact = Redactor([TOKEN, SECRET, "payload-secret-0123"])

    assert redact(f"url='http://h/bot{TOKEN}/getMe'") == f"url='http://h/bot{REDACTED}/getMe'"
    assert redact(f"/bot123456%3A{SECRET}/x") == f"/bot123456%3A{REDACTED}/x"
    assert redact("key payload-secret-0123!") == f"key {REDACTED}!"
    # Another bot's token in a URL path is no better to leak.
    assert redact("GET /bot999:other-bots-token/getMe") == f"GET /bot{REDACTED}/getMe"
    assert redact("nothing secret here") == "nothing secret here"
    assert not redact.finds("nothing secret here") and redact.finds(TOKEN)


def test_settings_list_every_secret_they_hold():
    settings = load_settings(
        bot_token=TOKEN,
        payload_secret="new-payload-secret-0123",
        payload_secrets_old="old-one-0123456789, old-two-0123456789",
    )
    assert settings.secrets == [
        TOKEN,
        SECRET,
        "new-payload-secret-0123",
        "old-one-0123456789",
        "old-two-0123456789",
    ]


@pytest.fixture
def lines() -> Iterator[list[str]]:
    """What a plain and a JSON sink write for records of the redacting logger."""
    written: list[str] = []
    plain = logger.add(
        written.append,
        filter=lambda r: "redacting" in r["extra"],
        backtrace=False,
        diagnose=False,
    )
    serialized = logger.add(
        written.append, filter=lambda r: "redacting" in r["extra"], serialize=True
    )
    yield written
    logger.remove(plain)
    logger.remove(serialized)


def test_log_records_lose_secrets_in_message_and_chained_traceback(lines):
    log = logger.bind(redacting=True).patch(partial(redact_record, Redactor([TOKEN, SECRET])))

    try:
        try:
            raise ConnectionError(f"url='http://h/bot{TOKEN}/getUpdates'")
        except ConnectionError as cause:
            raise RuntimeError("request failed") from cause
    except RuntimeError:
        log.exception("getUpdates failed: token {}", TOKEN)
    log.info("nothing to hide")

    assert len(lines) == 4
    assert all(SECRET not in line for line in lines)
    plain, serialized, quiet, _ = lines
    assert f"getUpdates failed: token {REDACTED}" in plain
    assert "ConnectionError" in plain and "RuntimeError: request failed" in plain
    assert f"/bot{REDACTED}/getUpdates" in plain
    assert "RedactedError" in json.loads(serialized)["record"]["exception"]["type"]
    assert "nothing to hide" in quiet and "Traceback" not in quiet


def write_to_stderr(line: str) -> None:
    """loguru's default sink, to whichever stderr is current (pytest swaps it per test)."""
    sys.stderr.write(line)


@pytest.fixture
def bot_logging(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """`setup_logging` writes to the captured stderr; the process's logging is put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield capsys
    logger.remove()
    logger.configure(patcher=lambda record: None)
    logger.add(write_to_stderr)
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("aiogram.event", "alembic"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_the_log_sink_redacts_each_line_whole_with_what_a_call_binds(bot_logging):
    quoted = 'payload-"secret"-0123'  # a JSON line escapes it: payload-\"secret\"-0123
    setup_logging("INFO", json=True, secrets=[TOKEN, SECRET, quoted])

    logger.bind(url=f"http://h/bot{TOKEN}/getMe").info("getMe failed")
    logger.info("signing with {key}", key=quoted)  # the key is kept in `extra` too

    written = bot_logging.readouterr().err
    lines = [json.loads(line) for line in written.splitlines()]
    assert [line["record"]["message"] for line in lines] == [
        "getMe failed",
        f"signing with {REDACTED}",
    ]
    assert lines[0]["record"]["extra"] == {"url": f"http://h/bot{REDACTED}/getMe"}
    assert lines[1]["record"]["extra"] == {"key": REDACTED}
    assert SECRET not in written and "secret" not in written
