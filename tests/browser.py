"""A headless Chromium driven over the Chrome DevTools Protocol, for tests of web pages.

No driver: the browser prints its DevTools websocket address on stderr; one page target is
attached in flat mode, and the test evaluates JavaScript in it to click and to read the DOM.
The browser runs in a process group of its own, killed whole at the end.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

# A loaded 2-core machine starts Chromium in seconds, but sometimes in tens of them.
STARTUP_TIMEOUT = 90.0
CALL_TIMEOUT = 60.0
POLL_SECONDS = 0.1
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-port=0",
    "--window-size=1100,900",
]


def chromium_or_skip() -> str:
    """The Chromium executable; without one the test is skipped, or fails if REQUIRE_BROWSER=1."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = (
            "no chromium on PATH (apt-get install chromium fonts-noto-color-emoji); "
            "REQUIRE_BROWSER=1 makes this a failure"
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1: {reason}", pytrace=False)
        pytest.skip(reason)
    return found


class Page:
    """One browser tab, attached over the browser's DevTools websocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse, session_id: str) -> None:
        self._socket = socket
        self._session_id = session_id

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        return await _call(self._socket, method, params, self._session_id)

    async def goto(self, url: str) -> None:
        await self.call("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited if a promise)."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll the page until `expression` is truthy; its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := await self.evaluate(expression)):
            if asyncio.get_running_loop().time() > deadline:
                text = await self.evaluate("document.body.innerText")
                raise AssertionError(f"{expression!r} not true within {timeout}s; page:\n{text}")
            await asyncio.sleep(POLL_SECONDS)
        return value

    async def screenshot(self, path: Path) -> Path:
        shot = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))
        return path


_ids = itertools.count(1)


async def _call(
    socket: aiohttp.ClientWebSocketResponse,
    method: str,
    params: dict[str, Any],
    session_id: str | None = None,
) -> dict[str, Any]:
    """Send one command and read until its answer (events in between are not needed here)."""
    call_id = next(_ids)
    message: dict[str, Any] = {"id": call_id, "method": method, "params": params}
    if session_id is not None:
        message["sessionId"] = session_id
    await socket.send_json(message)
    async with asyncio.timeout(CALL_TIMEOUT):
        while True:
            answer = json.loads(await socket.receive_str())
            if answer.get("id") == call_id:
                break
    if "error" in answer:
        raise AssertionError(f"{method}: {answer['error']}")
    result: dict[str, Any] = answer["result"]
    return result


async def _devtools_url(log: Path, process: asyncio.subprocess.Process) -> str:
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
    while not (found := LISTENING.search(_read(log))):
        if process.returncode is not None or asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"chromium did not start:\n{_read(log)}")
        await asyncio.sleep(POLL_SECONDS)
    return found.group(1)


def _read(log: Path) -> str:
    return log.read_text(errors="replace")


@contextlib.asynccontextmanager
async def open_page(workdir: Path) -> AsyncIterator[Page]:
    """A fresh headless Chromium (its profile and log in `workdir`) with one blank tab."""
    executable = chromium_or_skip()
    log = workdir / "chromium.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            executable,
            *FLAGS,
            f"--user-data-dir={workdir / 'profile'}",
            "about:blank",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group: killed whole at the end
        )
    try:
        url = await _devtools_url(log, process)
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(url, max_msg_size=0) as socket,
        ):
            target = await _call(socket, "Target.createTarget", {"url": "about:blank"})
            attached = await _call(
                socket, "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
            )
            yield Page(socket, attached["sessionId"])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
