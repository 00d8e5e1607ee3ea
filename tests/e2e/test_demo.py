"""`make demo` runs to the end with no token and no network, and its transcript tells the story."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
    "Ann: /paysupport",
    "Describe the problem in one message now",
    "bot → Alex (admin):",
    "📩 Payment support request from Ann @ann_buys",
    "Alex (admin) taps [Confirm refund]",
    "Refunded 75 ⭐ for Club pass, 30 days",
    "was refunded to your Stars balance, and the",
    "bot removes Ann from Stars Club",
    "Ann: /mypurchases",
    "refunded 20",
    "Bob: /stats",
    "Not allowed: this command is for the shop's admins.",
    "Alex (admin): /stock",
    "VPN key, 1 year (vpn_key): 2 left, 1 sold",
    "Alex (admin): /stats",
    "📊 Sales as of",
    "all time         2    225        1        150",
    "The end",
]


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
    position = 0
    for line in STORY:
        found = transcript.find(line, position)
        assert found >= 0, f"{line!r} missing after position {position} in:\n{transcript}"
        position = found + len(line)
