"""`make preview`: the real bot and the emulator's web page, with the owner's catalog, texts and
admins, but never the owner's database or token; a headless Chromium buys, pays and joins."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests import children
from tests.browser import open_page
from tests.e2e.process import child_env
from tests.helpers import ADMIN_ID, eventually

OWNER_TOKEN = "4242:the-owners-real-token-never-used"
TERMS = "Preview terms: every sale is final, unless it is not."
CHANNEL_ID = -1001234567890
CATALOG = f"""
[[product]]
id = "club_pass"
title = "Club pass, 30 days"
description = "The members' channel for 30 days."
price = 75
kind = "timed"
duration_days = 30
grants = ["club"]

[[product]]
id = "poster"
title = "Signed poster"
description = "One of one."
price = 500
kind = "one_time"
grants = ["poster"]
stock = 1

[keys.club]
chats = [{CHANNEL_ID}]
"""
URL = re.compile(r"http://127\.0\.0\.1:\d+/")


@dataclass
class Preview:
    child: children.Child
    url: str
    owner_database: Path
    temp: Path

    async def stop(self) -> tuple[int, str, str]:
        """Ctrl-C: its exit code, stdout and stderr."""
        self.child.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(self.child.wait(), 30)
        out, err = self.child.output()
        return code, out, err


@pytest.fixture
async def preview(tmp_path: Path) -> AsyncIterator[Preview]:
    """`python -m preview` in a shop directory whose .env and environment name the owner's own
    token and database."""
    shop, temp = tmp_path / "shop", tmp_path / "tmp"
    shop.mkdir()
    temp.mkdir()
    (shop / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    owner_database = shop / "owner.db"
    (shop / ".env").write_text(
        f"BOT_TOKEN={OWNER_TOKEN}\nADMIN_IDS={ADMIN_ID}\nTERMS_TEXT={TERMS}\n"
        f"CATALOG_PATH={shop / 'catalog.toml'}\n",
        encoding="utf-8",
    )
    env = child_env(DATABASE_URL=f"sqlite+aiosqlite:///{owner_database}", TMPDIR=temp)
    child = children.start(
        "preview", env=env, cwd=shop, stdout=tmp_path / "out", stderr=tmp_path / "err"
    )
    try:

        async def url() -> str | None:
            found = URL.search(child.output()[0])
            if found is None and child.returncode is not None:
                raise AssertionError(f"the preview stopped: {child.output()}")
            return found.group(0) if found else None

        yield Preview(child, await eventually(url, timeout=120), owner_database, temp)
    finally:
        child.kill()


async def api(http: aiohttp.ClientSession, preview: Preview, path: str, **body: Any) -> Any:
    if not body:
        async with http.get(preview.url + "preview/api/" + path) as response:
            return await response.json()
    async with http.post(preview.url + "preview/api/" + path, json=body) as response:
        return await response.json()


async def test_the_preview_uses_the_owners_texts_and_admins_but_never_their_token_or_database(
    preview,
):
    async with aiohttp.ClientSession() as http:
        state = await api(http, preview, "state")
        [buyer] = [user["id"] for user in state["users"] if not user["admin"]]
        assert [user["id"] for user in state["users"] if user["admin"]] == [ADMIN_ID]
        assert [group["id"] for group in state["groups"]] == [CHANNEL_ID]
        assert (await api(http, preview, "send", user_id=buyer, text="/terms"))["ok"]

        async def chat() -> str:
            state = await api(http, preview, f"state?user={buyer}")
            return json.dumps(state["chat"], ensure_ascii=False)

        # The emulator answers any other token with 401: the bot answering is the proof.
        assert TERMS in await eventually(lambda: _contains(chat, TERMS), timeout=30)
        [temp_dir] = preview.temp.iterdir()  # the throwaway database lives here
        assert temp_dir.name.startswith("shop-preview-")
    code, out, err = await preview.stop()
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"Your shop, previewed: {preview.url} (Ctrl-C stops it)"]
    assert not preview.owner_database.exists()
    assert list(preview.temp.iterdir()) == []


async def test_a_refused_pre_checkout_shows_the_bots_error_message(preview):
    async with aiohttp.ClientSession() as http:
        state = await api(http, preview, "state")
        [buyer] = [user["id"] for user in state["users"] if not user["admin"]]

        async def invoices() -> list[int]:
            chat = (await api(http, preview, f"state?user={buyer}"))["chat"]
            return [m["message_id"] for m in chat if "invoice" in m]

        for count in (1, 2):  # two invoices for the last poster
            await api(http, preview, "send", user_id=buyer, text="/buy poster")
            await eventually(functools.partial(_at_least, invoices, count), timeout=30)
        first, second = await invoices()
        assert await api(http, preview, "pay", user_id=buyer, message_id=first) == {
            "ok": True,
            "state": "paid",
        }
        refused = await api(http, preview, "pay", user_id=buyer, message_id=second)
        state = await api(http, preview, f"state?user={buyer}")
    assert refused["state"] == "refused" and refused["error"]
    assert state["payments"][f"{buyer}:{second}"] == {
        k: v for k, v in refused.items() if k != "ok"
    }
    assert (await preview.stop())[0] == 0


async def test_a_buyer_buys_pays_and_joins_the_channel_in_a_browser(preview, tmp_path):
    (tmp_path / "browser").mkdir()
    async with open_page(tmp_path / "browser") as page:
        await page.goto(preview.url)
        await page.wait_for(click("#people button", "Ann"))
        await page.wait_for(says("header", "you are Ann"))
        await page.evaluate("document.getElementById('text').value = '/shop'")
        await page.evaluate("document.getElementById('send').click()")
        await page.wait_for(click("#messages button", "Club pass, 30 days"))
        await page.wait_for(click(".invoice button.pay", "Pay 75 ⭐"))
        await page.wait_for(says("#messages", "Thank you"))
        await page.wait_for(says(".invoice", "Paid ✓"))
        shot = await page.screenshot(tmp_path / "preview.png")
        print(f"screenshot: {shot}")
        await page.wait_for(click("#messages a", "Join"))
        await page.wait_for(says("#groups", "Ann: member"))
    assert (await preview.stop())[0] == 0


def click(selector: str, text: str) -> str:
    """JavaScript: click the first `selector` element whose text holds `text`; false if none."""
    return f"""(() => {{
        const found = [...document.querySelectorAll({json.dumps(selector)})]
            .find((node) => node.innerText.includes({json.dumps(text)}));
        if (found) found.click();
        return Boolean(found);
    }})()"""


def says(selector: str, text: str) -> str:
    """JavaScript: whether the `selector` element's text holds `text`."""
    return (
        f"document.querySelector({json.dumps(selector)})?.innerText.includes({json.dumps(text)})"
    )


async def _contains(chat, text: str) -> str | None:
    found = await chat()
    return found if text in found else None


async def _at_least(invoices, count: int) -> bool:
    return len(await invoices()) >= count
