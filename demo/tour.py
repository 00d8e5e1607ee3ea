"""The people of the demo and the transcript: what each does in the chat, and what the bot
answers, as a person there would see it."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any, TextIO

from emulator import BotAPIEmulator, Group, Request, User

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
        [data] = [b["callback_data"] for b in buttons(message) if b["text"] == label]
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

    async def pays_link(
        self, user: User, offer: dict[str, Any], *expected: tuple[User, str]
    ) -> dict[str, Any]:
        """`user` opens the invoice link of `offer`'s button (a subscription's) and pays."""
        [button] = buttons(offer)
        since = self.emulator.mark()
        self._line(f"{self.names[user.id]} taps [{button['text']}] and pays in Telegram's form")
        result = await self.emulator.pay_link(user, button["url"])
        assert result.ok, result.error_message
        return await self._answers(since, expected)

    def skips(self, step: str, why: str) -> None:
        """A step of the tour this catalog has nothing for."""
        self._line(f"(skipped: {step}; {why})")
        self.out.write("\n")

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
    return wrapped + [f"[{button['text']}]" for button in buttons(message)]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button for row in keyboard for button in row]
