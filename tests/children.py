"""Child processes for the tests: `python -m bot ...` (or any module run as __main__), forked
from a server process that has already imported the bot.

Importing aiogram costs several seconds of CPU on a small machine, and the suite starts dozens
of children: started fresh, they alone would take most of its time. Each child here is still a
process of its own, as an operator's `python -m bot` is: its own pid, environment, working
directory, standard streams and exit code, and signals and kill -9 reach it alone. What it
shares with the fork server is only modules already imported (nothing in the bot runs at
import time). A test of what a fresh interpreter imports starts one the usual way instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import runpy
import signal
import sys
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess
from pathlib import Path
from typing import Any

# Imported once by the fork server; every child starts with them loaded.
PRELOAD = ["bot.app", "bot.cli", "bot.cli.check", "tests.e2e.worker"]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)
# In a child started with a channel: its end of it.
_channel: Connection | None = None


def channel_to_parent() -> Connection:
    """In a child started with `channel=`: the channel to the test that started it."""
    assert _channel is not None, "start the child with tests.children.start(channel=...)"
    return _channel


def _run_as_main(
    module: str,
    args: list[str],
    env: dict[str, str],
    cwd: str,
    stdout: str,
    stderr: str,
    channel: Connection | None,
) -> None:
    """In the child: what `python -m module args` would do, with these streams."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, stdout), (2, stderr)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
    global _channel
    _channel = channel
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


class Child:
    """One forked `python -m module` child; its output goes to two files."""

    def __init__(self, process: ForkServerProcess, stdout: Path, stderr: Path) -> None:
        self.process = process
        self.stdout_path = stdout
        self.stderr_path = stderr

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.exitcode

    def send_signal(self, sig: signal.Signals) -> None:
        os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL, unless it has exited (its pid may be another process's by now)."""
        if self.process.exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    async def wait(self) -> int:
        """The exit code once the child has exited (negative: the signal that ended it)."""
        ended = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_reader(self.process.sentinel, ended.set)
        try:
            if self.process.exitcode is None:
                await ended.wait()
        finally:
            loop.remove_reader(self.process.sentinel)
        self.process.join()
        code = self.process.exitcode
        assert code is not None
        return code

    def output(self) -> tuple[str, str]:
        return (
            self.stdout_path.read_text(errors="replace"),
            self.stderr_path.read_text(errors="replace"),
        )


def start(
    module: str,
    *args: str,
    env: dict[str, str],
    cwd: Path,
    stdout: Path,
    stderr: Path | None = None,
    channel: Connection | None = None,
) -> Child:
    """Fork `python -m module args` with this environment and working directory, its standard
    output to `stdout` and its standard error to `stderr` (or to `stdout` too)."""
    stderr = stderr or stdout
    for path in {stdout, stderr}:  # there from the start, as a shell's redirection makes them
        path.touch()
    process = _context.Process(
        target=_run_as_main,
        args=(module, list(args), env, str(cwd), str(stdout), str(stderr), channel),
        daemon=False,
    )
    process.start()
    return Child(process, stdout, stderr)


def warm_up() -> None:
    """Start the fork server now, without waiting for it. It imports PRELOAD (seconds of CPU)
    while other tests run; otherwise the first child's start waits for those imports with the
    test's event loop stopped, and an in-process bot with it."""
    multiprocessing.forkserver.ensure_running()


def pipe() -> tuple[Connection, Connection]:
    """Two ends of a channel between a test and a child started with `channel=`."""
    return _context.Pipe()


async def receive(end: Connection, timeout: float) -> Any:
    """The next thing the other end sent, waiting for it without blocking the event loop."""
    ready = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(end.fileno(), ready.set)
    try:
        if not end.poll():
            await asyncio.wait_for(ready.wait(), timeout)
    finally:
        loop.remove_reader(end.fileno())
    return end.recv()
