"""`make demo`: the real bot against the Bot API emulator, offline, with scripted buyers and an
admin, printed as a chat transcript: a club pass that lets its buyer into a private channel
(and out again on a refund), and a code sold from stock.

No token and no network: the emulator plays Telegram on 127.0.0.1, the bot runs in this process
on a throwaway SQLite file with its own catalog, and every step waits for the bot's answers
before the next.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from loguru import logger

from bot.app import run_bot
from bot.catalog import load_catalog
from bot.config import load_settings
from bot.services.codes import add_codes
from emulator import BotAPIEmulator, Group, Request, User
from storage import upgrade_schema

ADMIN_ID = 900_001
STEP_TIMEOUT = 20.0
WIDTH = 92
# What the transcript shows of the bot's calls: what a person in the chat would see.
SHOWN = frozenset(
    {"sendMessage", "sendInvoice", "sendDocument", "editMessageText", "answerCallbackQuery"}
)
# What the bot does to the members of the private channel, as a person there would see it.
MEMBERSHIP = {
    "approveChatJoinRequest": "lets {user} into {chat}",
    "declineChatJoinRequest": "declines {user}'s request to join {chat}",
    "unbanChatMember": "removes {user} from {chat}",
}
CATALOG = """
[[product]]
id = "club_pass"
title = "Club pass, 30 days"
description = "The members' channel for 30 days. Buying again adds 30 more."
price = 75
kind = "timed"
duration_days = 30
grants = ["club"]

[[product]]
id = "vpn_key"
title = "VPN key, 1 year"
description = "One personal key, shown in the chat. Buy as many as you need."
price = 150
kind = "consumable"
codes = true

[keys.club]
chats = [{channel}]
"""
CODES = ["VPN-7F3K-Q9XA", "VPN-2M8D-LC4T", "VPN-X5RB-91HW"]


class Tour:
    """Plays the people in the chat and prints what they do and what the bot answers."""

    def __init__(self, emulator: BotAPIEmulator, out: TextIO) -> None:
        self.emulator = emulator
        self.out = out
        self.names: dict[int, str] = {}
        self.chats: dict[int, str] = {}
        self._shown = 0  # requests[:_shown] are in the transcript already

    def person(self, name: str, **details: Any) -> User:
        user = self.emulator.user(name, **details)
        self.names[user.id] = name
        return user

    async def says(self, user: User, text: str, *expected: tuple[User, str]) -> dict[str, Any]:
        """`user` sends `text`; returns the first message back once every `expected` (chat,
        text it contains) has arrived."""
        since = self.emulator.mark()
        self._line(f"{self.names[user.id]}: {text}")
        self.emulator.send_text(user, text)
        return await self._answers(since, expected or [(user, "")])

    async def taps(
        self,
        user: User,
        message: dict[str, Any],
        label: str,
        *expected: tuple[User, str],
        edit: str | None = None,
    ) -> dict[str, Any]:
        """`user` taps the button `label` of `message`; with `edit`, the bot is expected to
        edit a message to say it."""
        [data] = [b["callback_data"] for b in _buttons(message) if b["text"] == label]
        since = self.emulator.mark()
        self._line(f"{self.names[user.id]} taps [{label}]")
        self.emulator.press_button(user, message, data)
        await self.emulator.wait_for("answerCallbackQuery", since=since, timeout=STEP_TIMEOUT)
        if edit is not None:
            await self.emulator.wait_for(
                "editMessageText",
                lambda request: edit in str(request.params.get("text")),
                since=since,
                timeout=STEP_TIMEOUT,
            )
        return await self._answers(since, expected)

    async def pays(
        self, user: User, invoice: dict[str, Any], *expected: tuple[User, str]
    ) -> dict[str, Any]:
        since = self.emulator.mark()
        amount = invoice["invoice"]["total_amount"]
        self._line(f"{self.names[user.id]} pays {amount} ⭐ in Telegram's payment form")
        result = await self.emulator.pay(user, invoice)
        assert result.ok, result.error_message
        return await self._answers(since, expected)

    async def asks_to_join(
        self, user: User, chat: Group, answer: str, *expected: tuple[User, str]
    ) -> dict[str, Any]:
        """`user` asks to join `chat` through the bot's link; `answer` is the bot's call that
        settles the request (approveChatJoinRequest or declineChatJoinRequest)."""
        since = self.emulator.mark()
        [link] = [link["invite_link"] for link in self.emulator.invite_links(chat)]
        self._line(f"{self.names[user.id]} asks to join {chat.title}")
        self.emulator.request_join(user, chat, invite_link=link)
        await self.emulator.wait_for(answer, since=since, timeout=STEP_TIMEOUT)
        return await self._answers(since, expected)

    async def sees_removal(self, since: int) -> None:
        """Show what the bot did since `since` once it removed someone from a chat."""
        await self.emulator.wait_for("unbanChatMember", since=since, timeout=STEP_TIMEOUT)
        await self._answers(since, [])

    async def _answers(self, since: int, expected: Sequence[tuple[User, str]]) -> dict[str, Any]:
        """Once each `expected` (chat, text it contains) has arrived, show everything the bot
        said since `since`; returns the first expected message."""
        messages = [
            await self.emulator.wait_for_message(
                chat.id, text_contains=text, since=since, timeout=STEP_TIMEOUT
            )
            for chat, text in expected
        ]
        for request in self.emulator.requests[max(since, self._shown) :]:
            self._show(request)
        self._shown = len(self.emulator.requests)
        self.out.write("\n")
        return messages[0] if messages else {}

    def _show(self, request: Request) -> None:
        if request.method in MEMBERSHIP and request.ok:
            user = self.names.get(request.params["user_id"], str(request.params["user_id"]))
            chat = self.chats.get(request.params["chat_id"], str(request.params["chat_id"]))
            self._line(f"  bot {MEMBERSHIP[request.method].format(user=user, chat=chat)}")
            return
        if request.method not in SHOWN or not request.ok:
            return
        if request.method == "answerCallbackQuery":
            if request.params.get("text"):
                self._line(f"  (a pop-up: {request.params['text']})")
            return
        message = request.result
        to = self.names.get(message["chat"]["id"], str(message["chat"]["id"]))
        edited = " (edits its message)" if request.method == "editMessageText" else ""
        self._line(f"  bot → {to}{edited}:")
        for line in _render(message):
            self._line(f"    {line}")

    def _line(self, text: str) -> None:
        self.out.write(text.rstrip() + "\n")
        self.out.flush()


def _render(message: dict[str, Any]) -> list[str]:
    if "invoice" in message:
        invoice = message["invoice"]
        lines = [f"🧾 Invoice: {invoice['title']}, {invoice['total_amount']} ⭐"]
        lines += [invoice["description"], f"[Pay {invoice['total_amount']} ⭐]"]
    elif "document" in message:
        lines = [f"📎 {message['document'].get('file_name', 'a file')}"]
        lines += message.get("caption", "").splitlines()
    else:
        lines = message.get("text", "").splitlines()
    wrapped = [part for line in lines for part in textwrap.wrap(line, WIDTH) or [""]]
    return wrapped + [f"[{button['text']}]" for button in _buttons(message)]


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button for row in keyboard for button in row]


async def play(out: TextIO) -> None:
    """Run the whole tour and print it to `out`."""
    emulator = BotAPIEmulator()
    await emulator.start()
    tour = Tour(emulator, out)
    admin = tour.person("Alex (admin)", id=ADMIN_ID, username="shop_admin")
    ann = tour.person("Ann", username="ann_buys")
    bob = tour.person("Bob")
    club = emulator.channel("Stars Club")
    emulator.add_member(club, admin, status="creator")
    tour.chats[club.id] = club.title
    with tempfile.TemporaryDirectory() as workdir:
        catalog_path = Path(workdir) / "catalog.toml"
        catalog_path.write_text(CATALOG.format(channel=club.id), encoding="utf-8")
        codes_path = Path(workdir) / "codes.txt"
        codes_path.write_text("\n".join(CODES) + "\n", encoding="utf-8")
        settings = load_settings(
            _env_file=None,  # the demo's settings only, whatever a .env here says
            bot_token=emulator.token,
            telegram_api_base=emulator.base_url,
            database_url=f"sqlite+aiosqlite:///{Path(workdir) / 'demo.db'}",
            catalog_path=catalog_path,
            admin_ids={ADMIN_ID},
            payload_secret="demo-payload-secret-0123456789",
            reconcile_interval=0,
            # The scripted buyer acts faster than a person could; the flood limit would stop her.
            flood_limit=0,
            low_stock=1,  # three codes: the admin's "running low" would come at the first sale
        )
        catalog = load_catalog(catalog_path)
        # What a shop owner does once before selling codes: `python -m bot codes add`.
        await upgrade_schema(settings.database_url)
        await add_codes(settings.database_url, catalog, "vpn_key", codes_path)
        stop = asyncio.Event()
        since = emulator.mark()
        bot = asyncio.create_task(run_bot(settings, catalog, stop, handle_signals=False))
        try:
            await emulator.wait_for("getUpdates", since=since, answered=False)
            await _script(tour, club, ann, bob, admin)
        finally:
            stop.set()
            await bot
            await emulator.stop()


async def _script(tour: Tour, club: Group, ann: User, bob: User, admin: User) -> None:
    tour.out.write(
        "Stars shop demo: the real bot and a Telegram emulator, offline. Ann and Bob buy, Alex "
        "is the shop's admin and owns the private channel Stars Club.\n\n"
    )
    await tour.says(ann, "/start")
    shop = await tour.says(ann, "/shop")
    invoice = await tour.taps(ann, shop, "Club pass, 30 days: 75 ⭐", (ann, ""))
    await tour.pays(ann, invoice, (ann, "Thank you"))
    await tour.asks_to_join(ann, club, "approveChatJoinRequest")
    await tour.asks_to_join(bob, club, "declineChatJoinRequest", (bob, "Club pass"))
    invoice = await tour.says(bob, "/buy vpn_key")
    await tour.pays(bob, invoice, (bob, "Thank you"))
    await tour.says(ann, "/paysupport", (ann, "Describe the problem"))
    request = await tour.says(
        ann,
        "I bought the club pass by mistake. Could I have my Stars back?",
        (admin, "Payment support request"),
        (ann, "went to a person"),
    )
    [refund] = [b["text"] for b in _buttons(request) if b["text"].startswith("Refund")]
    question = await tour.taps(admin, request, refund, (admin, "Refund 75 ⭐"))
    since = tour.emulator.mark()
    await tour.taps(admin, question, "Confirm refund", (ann, "was refunded"), edit="Refunded")
    await tour.sees_removal(since)
    await tour.says(ann, "/mypurchases")
    await tour.says(bob, "/stats", (bob, "Not allowed"))
    await tour.says(admin, "/stock", (admin, "VPN key"))
    await tour.says(admin, "/stats", (admin, "Sales as of"))
    tour.out.write("The end: every message above went through the real bot's code.\n")


def main() -> None:
    logger.remove()
    logger.add(sys.stderr, level="ERROR")  # the transcript is the output; errors only
    asyncio.run(play(sys.stdout))


if __name__ == "__main__":
    main()
