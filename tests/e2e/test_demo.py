"""`make demo` runs to the end with no token and no network, and its transcript tells the story;
with CATALOG_PATH it buys that catalog's first product, and skips what the catalog lacks."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from demo.__main__ import play
from tests import children
from tests.e2e.process import child_env

REPO_ROOT = Path(__file__).resolve().parents[2]
# The story, in order: each line must appear after the one before.
STORY = [
    "Ann: /start",
    "Welcome! This shop sells digital goods for Telegram Stars",
    "Ann taps [Club pass, 30 days: 75 ⭐]",
    "🧾 Invoice: Club pass, 30 days, 75 ⭐",
    "Ann pays 75 ⭐",
    "Thank you, payment received!",
    "[Join Stars Club]",
    "Ann asks to join Stars Club",
    "bot lets Ann into Stars Club",
    "Bob asks to join Stars Club",
    "To join Stars Club you need one of these first",
    "[Club pass, 30 days: 75 ⭐]",
    "bot declines Bob's request to join Stars Club",
    "Bob: /buy vpn_key",
    "Bob pays 150 ⭐",
    "Your code: VPN-7F3K-Q9XA",
    "Olya: /shop",
    "Что можно купить:",
    "Olya taps [Ключ VPN на год: 150 ⭐]",
    "🧾 Invoice: Ключ VPN на год, 150 ⭐",
    "Olya pays 150 ⭐",
    "Спасибо, оплата получена!",
    "Ваш код: VPN-2M8D-LC4T",
    "Ann: /paysupport",
    "Describe the problem in one message now",
    "bot → Alex (admin):",
    "📩 Payment support request from Ann @ann_buys",
    "Alex (admin) taps [Confirm refund]",
    "Refunded 75 ⭐ for Club pass, 30 days",
    "was refunded to your Stars balance, and the",
    "Ann: /mypurchases",
    " UTC, refunded ",
    " UTC",  # then the moment of the refund, before the next command
    "Bob: /stats",
    "Not allowed: this command is for the shop's admins.",
    "Alex (admin): /stock",
    "VPN key, 1 year (vpn_key): 1 left, 2 sold",
    "Alex (admin): /stats",
    "📊 Sales as of",
    "all time         3    375        1        300",
    "The end",
]


@pytest.mark.slow
async def test_the_demo_plays_the_whole_story_offline_without_a_token(tmp_path):
    # No BOT_TOKEN or other setting of the developer's, and no proxy that could reach out.
    env = child_env()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    demo = children.start(
        "demo", env=env, cwd=REPO_ROOT, stdout=tmp_path / "out", stderr=tmp_path / "err"
    )
    code = await asyncio.wait_for(demo.wait(), 120)
    transcript, errors = demo.output()
    assert (code, errors) == (0, ""), transcript
    assert_in_order(transcript, STORY)
    # The refund's two effects come from two workers, the outbox and the removals, in either
    # order: the removal is shown after the refund was confirmed, before Ann's next command.
    confirmed = transcript.index("Alex (admin) taps [Confirm refund]")
    removed = transcript.index("bot removes Ann from Stars Club")
    assert confirmed < removed < transcript.index("Ann: /mypurchases")


def assert_in_order(transcript: str, story: list[str]) -> None:
    position = 0
    for line in story:
        found = transcript.find(line, position)
        assert found >= 0, f"{line!r} missing after position {position} in:\n{transcript}"
        position = found + len(line)


SUBSCRIPTION_FIRST = """
[[product]]
id = "night"
title = "Night owls"
description = "The owls' channel, every month."
price = 60
kind = "subscription"
grants = ["owls"]

[[product]]
id = "badge"
title = "Owl badge"
description = "A badge."
price = 25
kind = "one_time"
grants = ["badge"]

[keys.owls]
chats = [-1001234567890]
"""
ONE_TIME_FIRST = """
[[product]]
id = "guide"
title = "Field guide"
description = "The guide, forever."
price = 42
kind = "one_time"
grants = ["guide"]

[[product]]
id = "license"
title = "License key"
description = "One key per sale."
price = 9
kind = "consumable"
codes = true
"""


async def test_with_a_catalog_path_the_tour_subscribes_to_its_first_product(tmp_path):
    catalog = tmp_path / "shop.toml"
    catalog.write_text(SUBSCRIPTION_FIRST)
    out = io.StringIO()

    await asyncio.wait_for(play(out, catalog), 120)

    transcript = out.getvalue()
    assert_in_order(
        transcript,
        [
            "Ann buys its first product, Night owls (60 ⭐ a month)",
            "Ann taps [Night owls: 60 ⭐ a month]",
            "Ann taps [Subscribe: 60 ⭐ a month] and pays",
            "You subscribed to Night owls for 60 ⭐ a month.",
            "bot lets Ann into Channel -1001234567890",
            '(skipped: "you already own it"; a subscription is not owned',
            "(skipped: a code sold from stock; no product of this catalog has codes = true)",
            "Alex (admin): /stats",
            "all time         1     60",
            "The end",
        ],
    )
    assert "You already" not in transcript and "Club pass" not in transcript


async def test_with_a_catalog_path_a_one_time_first_product_is_not_sold_twice(tmp_path):
    catalog = tmp_path / "shop.toml"
    catalog.write_text(ONE_TIME_FIRST)
    out = io.StringIO()

    await asyncio.wait_for(play(out, catalog), 120)

    assert_in_order(
        out.getvalue(),
        [
            "Ann buys its first product, Field guide (42 ⭐)",
            "Ann taps [Field guide: 42 ⭐]",
            "🧾 Invoice: Field guide, 42 ⭐",
            "Ann pays 42 ⭐",
            "You bought Field guide for 42 ⭐.",
            "(skipped: joining a private chat; Field guide unlocks none)",
            "Ann: /buy guide",
            "You already own Field guide",
            "Bob: /buy license",
            "Your code: DEMO-CODE-0001",
            "all time         2     51",
            "The end",
        ],
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "cannot read the catalog"),
        (ONE_TIME_FIRST.replace("price = 42", "prise = 42"), 'unknown field "prise"'),
    ],
)
async def test_a_missing_or_broken_catalog_path_stops_the_demo_with_one_line(tmp_path, text, said):
    catalog = tmp_path / "shop.toml"
    if text is not None:
        catalog.write_text(text)
    demo = children.start(
        "demo",
        env=child_env(catalog_path=catalog),
        cwd=REPO_ROOT,
        stdout=tmp_path / "out",
        stderr=tmp_path / "err",
    )
    code = await asyncio.wait_for(demo.wait(), 60)
    transcript, errors = demo.output()
    assert (code, transcript) == (2, "")
    [line] = errors.splitlines()
    assert line.startswith(f"{catalog}: ") and said in line
