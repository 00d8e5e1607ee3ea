"""The event loop `python -m bot` serves on: uvloop's where it is installed (a dependency on
Linux and macOS), asyncio's own elsewhere (Windows, which uvloop does not support).

Much of the bot's CPU goes to handing each SQLite statement to the thread aiosqlite runs it in
and back (eight hand-offs for a one-row write), and to HTTP over short requests; uvloop does
both for less. A one-row write through the writer took 5.3 ms of CPU on asyncio's loop and
2.4 ms on uvloop's, on the 2-core machine `make bench` runs on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to the end on a new event loop, as `asyncio.run` does."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
