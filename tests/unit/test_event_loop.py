"""The event loop python -m bot serves on (bot/cli/event_loop.py)."""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from bot.cli import event_loop


async def running_loop() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def test_the_bot_serves_on_uvloop_where_it_is_installed() -> None:
    assert event_loop.run(running_loop()) is uvloop.Loop


def test_the_bot_serves_on_asyncios_loop_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    # As on Windows, which uvloop does not support: importing it fails.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    loop = event_loop.run(running_loop())
    assert loop.__module__.startswith("asyncio."), loop
