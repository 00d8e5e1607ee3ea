"""deploy/stars-shop.service is a unit systemd accepts whole: `systemd-analyze verify` says
nothing about it. The tool only warns about a key it does not know (and ignores it), so any
output at all fails the test."""

from __future__ import annotations

import configparser
import getpass
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import STOP_BUDGET_SECONDS
from bot.cli.exits import EXIT_CONFIG, EXIT_LOST_LOCK

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "stars-shop.service"
INSTALLED = "/opt/stars-shop"
ANALYZE = shutil.which("systemd-analyze")

needs_systemd_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (Debian's systemd package)"
)


def verify(unit: str, folder: Path) -> str:
    """What `systemd-analyze verify` says about `unit`, installed here as it is in /opt: its
    paths are this checkout's, its python this one, its user the one running the tests (the
    tool needs ExecStart to exist; it does not look the user up)."""
    here = unit.replace(f"ExecStart={INSTALLED}/.venv/bin/python", f"ExecStart={sys.executable}")
    here = here.replace(INSTALLED, str(REPO)).replace(
        "User=stars-shop", f"User={getpass.getuser()}"
    )
    path = folder / UNIT.name
    path.write_text(here)
    # Without systemd as PID 1 (a container): no man page look-ups, and only this unit's own
    # problems, not those of the units it names.
    done = subprocess.run(
        [str(ANALYZE), "verify", "--man=no", "--recursive-errors=no", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_PAGER": ""},
        timeout=60,
        check=False,
    )
    return (done.stdout + done.stderr).strip() or ("" if done.returncode == 0 else "failed")


@needs_systemd_analyze
def test_the_service_file_passes_systemd_analyze_verify_without_a_word(tmp_path: Path) -> None:
    assert verify(UNIT.read_text(), tmp_path) == ""


@needs_systemd_analyze
def test_verify_speaks_up_about_a_misspelt_key(tmp_path: Path) -> None:
    misspelt = UNIT.read_text().replace("Restart=on-failure", "Restrat=on-failure")

    assert "Unknown key 'Restrat'" in verify(misspelt, tmp_path)


def service() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser["Service"]


def test_a_bad_setting_is_not_retried_but_a_lost_lock_is() -> None:
    unit = service()

    assert unit["Restart"] == "on-failure"
    assert unit["RestartPreventExitStatus"].split() == [str(EXIT_CONFIG)]
    assert str(EXIT_LOST_LOCK) not in unit["RestartPreventExitStatus"].split()


def test_systemd_waits_longer_than_the_bot_takes_to_stop() -> None:
    unit = service()

    assert unit["KillSignal"] == "SIGTERM"
    # The handlers' SHUTDOWN_GRACE and the rest of the stop, before systemd sends SIGKILL.
    assert float(unit["TimeoutStopSec"]) > STOP_BUDGET_SECONDS
