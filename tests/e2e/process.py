"""Running `python -m bot` as a child process against the emulator, as an operator would.

The children are forked from a process that has already imported the bot (see
`tests.children`); `fresh=True` starts a new interpreter instead, for what only that shows.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.config import Settings
from emulator import BotAPIEmulator
from tests import children

# Variables the bot reads; the child gets only what a test gives it, never the developer's.
BOT_VARIABLES = tuple(name.upper() for name in Settings.model_fields)


def child_env(**variables: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in BOT_VARIABLES}
    env.update({k.upper(): str(v) for k, v in variables.items()})
    return env


async def run_to_exit(cwd: Path, timeout: float = 30.0, **variables: Any) -> tuple[int, str]:
    """Run the bot to completion; returns its exit code and what it printed to stderr."""
    code, _, stderr = await run_command(cwd, timeout=timeout, **variables)
    return code, stderr


async def run_command(
    cwd: Path, *args: str, timeout: float = 30.0, fresh: bool = False, **variables: Any
) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` to completion; returns its exit code, stdout and stderr."""
    if fresh:
        return await _run_fresh(cwd, args, timeout, child_env(**variables))
    stdout, stderr = _output_file(), _output_file()
    child = children.start(
        "bot", *args, env=child_env(**variables), cwd=cwd, stdout=stdout, stderr=stderr
    )
    try:
        code = await asyncio.wait_for(child.wait(), timeout)
    finally:
        child.kill()  # when out of time
    out, err = child.output()
    os.unlink(stdout)
    os.unlink(stderr)
    return code, out, err


def _output_file() -> Path:
    """An empty file for a child's output, outside its working directory (which a test may
    look through)."""
    handle, name = tempfile.mkstemp(prefix="bot-child-")
    os.close(handle)
    return Path(name)


async def _run_fresh(
    cwd: Path, args: tuple[str, ...], timeout: float, env: dict[str, str]
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


class BotProcess:
    """One `python -m bot` child; start it, stop it with a signal, or kill it outright."""

    def __init__(self, emulator: BotAPIEmulator, workdir: Path, **variables: Any) -> None:
        self.emulator = emulator
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.variables = {
            "bot_token": emulator.token,
            "telegram_api_base": emulator.base_url,
            "database_url": f"sqlite+aiosqlite:///{workdir / 'bot.db'}",
            "reconcile_interval": 0,
            **variables,
        }
        self.process: children.Child | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / f"bot-{self.starts}.log"

    async def start(
        self, timeout: float = 30.0, *, polls: bool = True, ready: str = "following:"
    ) -> None:
        """Start the bot and wait until it polls; with `polls=False` (a follower, or webhook
        mode), only until its log says `ready`."""
        self.starts += 1
        since = self.emulator.mark()
        self.process = children.start(
            "bot", env=child_env(**self.variables), cwd=self.workdir, stdout=self.log_path
        )
        if polls:
            await self.emulator.wait_for(
                "getUpdates", since=since, answered=False, timeout=timeout
            )
        else:
            await self.wait_for_log(ready, timeout)

    async def wait_for_log(self, text: str, timeout: float = 15.0) -> None:
        """Until the current run's log says `text` (the process writes it in its own time)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in self.log_path.read_text(errors="replace"):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{text!r} not in the log within {timeout}s:\n{self.log()}")
            await asyncio.sleep(0.05)

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    async def wait(self, timeout: float) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def log(self) -> str:
        return "\n".join(
            (self.workdir / f"bot-{n}.log").read_text(errors="replace")
            for n in range(1, self.starts + 1)
        )
