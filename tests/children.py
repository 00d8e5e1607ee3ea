"""Child processes for the tests: `python -m bot ...` (or any module run as __main__), forked
from a server process that has already imported the bot.

Importing aiogram costs several seconds of CPU on a small machine, and the suite starts dozens
of children: started fresh, they alone would take most of its time. Each child here is still a
process of its own, as an operator's `python -m bot` is: its own pid, environment, working
directory, standard streams and exit code, and signals and kill -9 reach it alone. What it
shares with the fork server is only modules already imported and the bot's messages already
parsed (nothing in the bot runs at import time). A test of what a fresh interpreter imports
starts one the usual way instead.

The fork server is multiprocessing's own, started as a fork of the test process at the end of
collection (`start_server`), rather than as a fresh interpreter that imports the bot again.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import multiprocessing
import multiprocessing.forkserver
import os
import runpy
import signal
import socket
import sys
import tempfile
from multiprocessing import connection, resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess
from pathlib import Path
from typing import Any

# Imported once by the fork server; every child starts with them loaded.
PRELOAD = ["bot.app", "bot.cli", "bot.cli.check", "tests.e2e.worker"]
# Imported by a bot only once it runs (the database drivers, alembic, uvloop): loaded once too.
LOADED_ON_USE = [
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "alembic.command",
    "alembic.config",
    "alembic.runtime.migration",
    "alembic.script",
    "uvloop",
]

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
    # As in a fresh interpreter, the temporary folder comes from this environment (TMPDIR),
    # not from the test process the fork server was forked from, which looked it up already.
    tempfile.tempdir = None
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


def start_server() -> None:
    """Start the fork server the children come from: a fork of this process, made now.

    multiprocessing starts its fork server as a fresh interpreter, which imports PRELOAD again:
    about 9 s of CPU in every test process, on a machine the suite keeps busy. A fork of this
    process, which has imported them already, costs milliseconds, and the messages parsed here
    once spare every child its own parsing. Call it while the process is still plain, as at the
    end of collection: before a test has started an event loop, a thread or a connection, none
    of which a fork would carry well. The server is multiprocessing's own loop (`main`), so its
    children are started, watched and reaped as before; if it cannot run, multiprocessing
    starts one the usual way at the first child."""
    # Its private state, which ensure_running() sets when it starts the server itself.
    server: Any = multiprocessing.forkserver._forkserver
    with server._lock:
        if server._forkserver_pid is not None:
            return
        for name in PRELOAD + LOADED_ON_USE:
            importlib.import_module(name)
        from bot.middlewares.language import bundled_core

        bundled_core()  # every language's messages, parsed
        resource_tracker.ensure_running()  # shared by the children, as multiprocessing does
        with socket.socket(socket.AF_UNIX) as listener:
            address = connection.arbitrary_address("AF_UNIX")  # type: ignore[attr-defined]
            listener.bind(address)
            os.chmod(address, 0o600)
            listener.listen()
            # The server stops when every holder of the write end is gone: this process and
            # the children, each of which is given it.
            alive_r, alive_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(alive_w)
                    multiprocessing.forkserver.main(listener.fileno(), alive_r, [])
                finally:
                    os._exit(0)
            os.close(alive_r)
        server._forkserver_address = address
        server._forkserver_alive_fd = alive_w
        server._forkserver_pid = pid


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
