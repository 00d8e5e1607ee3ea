"""The preview's web page and its JSON endpoints, served by the emulator's own HTTP server.

A person plays Telegram's app in a browser: picks who they are (a buyer, or an admin of the
shop), writes to the bot, presses its buttons, pays its invoices and asks to join the private
chats it manages. Each action is the emulator's own (send_text, press_button, pre_checkout and
complete_payment, request_join): the bot gets the updates Telegram would send. The page polls
`/preview/api/state` and redraws what changed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from emulator.models import JSON, User
from emulator.preview.state import person, private_chat, roster_of_link
from emulator.server import BotAPIEmulator
from emulator.telegram.rosters import IN_CHAT

STATIC = Path(__file__).resolve().parent / "static"
# Only the page's own files: no inline script, nothing from another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})?")
MAX_NAME_LENGTH = 64
MAX_TEXT_LENGTH = 4096
Action = Callable[[JSON], Awaitable[JSON]]
Handler = Callable[[web.Request], Awaitable[web.Response]]
NO_ANSWER = "The bot did not answer the payment in time (10 s), so no Stars were taken."


class BadAction(Exception):
    """An action the page asked for that cannot be done: the message says why, to the person."""


class PreviewPage:
    """The page's routes over one emulator; `admin_ids` are the shop's admins."""

    def __init__(self, emulator: BotAPIEmulator, admin_ids: frozenset[int] = frozenset()) -> None:
        self.emulator = emulator
        self.admin_ids = admin_ids
        # What became of each invoice a person paid, by "chat_id:message_id".
        self.payments: dict[str, JSON] = {}
        # The callback queries each person sent, to show the bot's answers to them.
        self.pressed: dict[int, list[str]] = {}

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get("/", self.index),
            web.static("/preview/static", STATIC),
            web.get("/preview/api/state", self.state),
            web.post("/preview/api/users", self._action(self.new_user)),
            web.post("/preview/api/send", self._action(self.send)),
            web.post("/preview/api/press", self._action(self.press)),
            web.post("/preview/api/pay", self._action(self.pay)),
            web.post("/preview/api/join", self._action(self.join)),
        ]

    async def index(self, _: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)

    async def state(self, request: web.Request) -> web.Response:
        chats = self.emulator.telegram.chats
        user_id = _int(request.query.get("user", "0"))
        bot = self.emulator.telegram.bot_user
        body = {
            "bot": {"id": bot["id"], "name": bot["first_name"], "username": bot["username"]},
            "users": [person(user, self.admin_ids) for user in chats.users.values()],
            "chat": chats.history(user_id) if user_id in chats.users else [],
            "payments": self.payments,
            "answers": self._answers(user_id),
            "groups": [private_chat(roster) for roster in chats.rosters.values()],
        }
        return web.json_response(body, headers=SECURITY_HEADERS)

    # -- what a person does ------------------------------------------------------------------

    async def new_user(self, body: JSON) -> JSON:
        name = str(body.get("name", "")).strip()[:MAX_NAME_LENGTH]
        language = str(body.get("language_code", "")).strip()
        if language and not LANGUAGE_CODE.fullmatch(language):
            raise BadAction("A language code looks like en, ru or pt-br.")
        user = self.emulator.user(name or None, language_code=language or None)
        return {"id": user.id}

    async def send(self, body: JSON) -> JSON:
        user = self._user(body)
        text = str(body.get("text", ""))
        if not text.strip():
            raise BadAction("Type a message first.")
        if len(text) > MAX_TEXT_LENGTH:
            raise BadAction(f"A message holds at most {MAX_TEXT_LENGTH} characters.")
        self.emulator.send_text(user, text)
        return {}

    async def press(self, body: JSON) -> JSON:
        user = self._user(body)
        message = {"chat": {"id": user.id}, "message_id": _int(body.get("message_id"))}
        try:
            self.emulator.press_button(user, message, str(body.get("data", "")))
        except ValueError:
            raise BadAction("That button is gone: the bot changed the message.") from None
        query_id = next(reversed(self.emulator.telegram.callback_queries))
        self.pressed.setdefault(user.id, []).append(query_id)
        return {}

    async def pay(self, body: JSON) -> JSON:
        """Telegram's payment form: the pre-checkout query, and if the bot accepts it, the
        payment. Answers once the bot has answered (or Telegram gave up waiting)."""
        user = self._user(body)
        message_id = _int(body.get("message_id"))
        key = f"{user.id}:{message_id}"
        if self.payments.get(key, {}).get("state") in ("paying", "paid"):
            raise BadAction("This invoice is paid already.")
        self.payments[key] = {"state": "paying"}
        message = {"chat": {"id": user.id}, "message_id": message_id}
        try:
            accepted = await self.emulator.pre_checkout(user, message)
        except ValueError:
            del self.payments[key]
            raise BadAction("That message is not an invoice.") from None
        if not accepted.ok:
            error = accepted.error_message
            self.payments[key] = {
                "state": "refused",
                "error": NO_ANSWER if error == "timeout" else error,
            }
            return self.payments[key]
        self.emulator.complete_payment(accepted)
        self.payments[key] = {"state": "paid"}
        return self.payments[key]

    async def join(self, body: JSON) -> JSON:
        """The person opens one of the bot's invite links: a request to join its chat."""
        user = self._user(body)
        link = str(body.get("link", ""))
        roster = roster_of_link(self.emulator.telegram.chats, link)
        if roster is None:
            raise BadAction("This link is not one of the private chats the bot manages.")
        title = roster.chat.title
        if roster.status(user.id) in IN_CHAT:
            raise BadAction(f"You are in {title} already.")
        if roster.join_requests.get(user.id) == "pending":
            raise BadAction(f"Your request to join {title} waits for the bot's answer.")
        try:
            self.emulator.request_join(user, roster.chat, invite_link=link)
        except ValueError:
            raise BadAction(f"You cannot join {title} with this link any more.") from None
        return {"title": title}

    # -- shared ------------------------------------------------------------------------------

    def _action(self, step: Action) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise BadAction("The page sent something this preview does not understand.")
                result = {"ok": True, **await step(body)}
            except (BadAction, ValueError) as error:
                text = str(error) if isinstance(error, BadAction) else "Reload the page."
                return web.json_response({"ok": False, "error": text}, status=400)
            return web.json_response(result, headers=SECURITY_HEADERS)

        return handle

    def _user(self, body: JSON) -> User:
        user = self.emulator.telegram.chats.users.get(_int(body.get("user_id")))
        if user is None:
            raise BadAction("Pick who you are first (the list on the left).")
        return user

    def _answers(self, user_id: int) -> list[JSON]:
        """The bot's answers to the person's button presses that say something."""
        answered = self.emulator.telegram.callback_answers
        return [
            {"id": query_id, "text": answered[query_id]["text"]}
            for query_id in self.pressed.get(user_id, [])
            if answered.get(query_id, {}).get("text")
        ]


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise BadAction("The page sent something this preview does not understand.") from None
