"""What the parts of BotAPIEmulator share: its state, the log of the bot's requests, and the
views of Telegram's side that tests assert on."""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator.models import (
    JSON,
    ApiError,
    Charge,
    Fault,
    InvoiceLink,
    Request,
    SentInvoice,
    StarSubscription,
    UploadedFile,
    User,
)
from emulator.sent import SentMessages
from emulator.spec import BotAPISpec
from emulator.telegram import FakeTelegram
from emulator.telegram.webhooks import Webhook

DEFAULT_TOKEN = "123456:TEST-token"
# The published Bot API as data (see docs/development.md, "Tests", for its source and refresh).
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "telegram-bot-api.json"
EDIT_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})

RequestHook = Callable[[Request], Any]
# A Message dict as the emulator returned it, or aiogram's Message object.
MessageLike = Mapping[str, Any] | Any


class EmulatorCore:
    """Telegram's Bot API for one bot: the state every part of the emulator works on."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        spec_path: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.spec = BotAPISpec.load(spec_path or DEFAULT_SPEC_PATH)
        self.telegram = FakeTelegram(token, self.spec)
        self.host = host
        self.port = port
        self.requests: list[Request] = []
        # Kept as requests come and are answered, so looking up costs what is found (sent.py).
        self._sent = SentMessages()
        self._by_method: defaultdict[str, list[tuple[int, Request]]] = defaultdict(list)
        # Each request's place in `requests`, by id(): the log keeps every request alive.
        self._positions: dict[int, int] = {}
        self.violations: list[str] = []
        self.emulator_errors: list[str] = []
        self.unanswered_pre_checkouts: list[JSON] = []
        self.message_rate_limit: float | None = None
        self.rate_limited = 0
        self.on_request: RequestHook | None = None
        self._faults: dict[str, deque[Fault]] = {}
        self._sent_at: deque[float] = deque()
        self._activity = asyncio.Event()
        self._chat_instances: dict[int, str] = {}
        self._runner: web.AppRunner | None = None
        # More routes on the same server, added by `start()`: the preview page's.
        self.extra_routes: list[web.AbstractRouteDef] = []
        self.telegram.updates.listeners.append(self._notify)
        self._sending_methods = frozenset(
            name
            for name, method in self.spec.methods.items()
            if name.startswith(("send", "forward", "copy"))
            and any("Message" in returned for returned in method.returns)
        )

    @property
    def base_url(self) -> str:
        """What `TelegramAPIServer.from_base()` (or the bot's API URL setting) needs."""
        return f"http://{self.host}:{self.port}"

    # -- state the tests look at ------------------------------------------------------------

    @property
    def bot_user(self) -> JSON:
        return copy.deepcopy(self.telegram.bot_user)

    @property
    def charges(self) -> dict[str, Charge]:
        return self.telegram.ledger.charges

    @property
    def star_transactions(self) -> list[JSON]:
        return self.telegram.ledger.transactions

    @property
    def star_balance(self) -> int:
        return self.telegram.ledger.balance

    @property
    def invoices(self) -> list[SentInvoice]:
        return self.telegram.invoices

    @property
    def invoice_links(self) -> dict[str, InvoiceLink]:
        """The links createInvoiceLink made, by URL."""
        return self.telegram.invoice_links

    @property
    def subscriptions(self) -> dict[str, StarSubscription]:
        """Stars subscriptions, by the charge id of their first payment."""
        return self.telegram.ledger.subscriptions

    @property
    def confirmed_offset(self) -> int:
        return self.telegram.updates.confirmed_offset

    @property
    def deliveries(self) -> Counter[int]:
        """How many times each update was delivered: returned by getUpdates, or posted to the
        webhook (0 for one never delivered)."""
        return Counter(self.telegram.updates.deliveries)

    @property
    def pending_updates(self) -> list[JSON]:
        return copy.deepcopy(self.telegram.updates.pending)

    @property
    def uploads(self) -> list[UploadedFile]:
        """The files the bot uploaded (sendDocument), in order; a file sent again by its
        file_id is not uploaded again."""
        return list(self.telegram.uploads)

    @property
    def webhook(self) -> Webhook:
        """The webhook: its url, last_error_message, `attempts` (each POST of an update), and
        `retry_seconds` (the pause before an update is posted again)."""
        return self.telegram.webhook

    def route_webhook(self, url: str, *targets: str) -> None:
        """Requests to the webhook `url` go to `targets` (http://127.0.0.1:PORT), in turn, as
        through a reverse proxy or a load balancer: see emulator/telegram/webhooks.py."""
        self.telegram.webhook.route(url, *targets)

    def forget_file_ids(self) -> None:
        """Telegram no longer knows any file_id given so far: sending by one answers 400."""
        self.telegram.documents.clear()

    @property
    def callback_answers(self) -> dict[str, JSON]:
        return self.telegram.callback_answers

    @property
    def commands(self) -> dict[tuple[str, str], list[JSON]]:
        return self.telegram.commands

    @property
    def descriptions(self) -> dict[str, str]:
        """The bot's descriptions by language code ("": every language without its own)."""
        return self.telegram.descriptions

    @property
    def short_descriptions(self) -> dict[str, str]:
        return self.telegram.short_descriptions

    def calls(self, method: str) -> list[Request]:
        """Requests of one method (any spelling), in arrival order."""
        return [request for _, request in self._by_method.get(self._canonical(method), [])]

    def sent_messages(self, chat_id: int | None = None) -> list[JSON]:
        """Messages the bot sent or edited, as returned to it (one entry per call)."""
        return self._sent.messages(chat_id)

    def chat_history(self, chat_id: int) -> list[JSON]:
        """The chat as the user sees it now: after edits and deletions, both sides."""
        return self.telegram.chats.history(chat_id)

    def mark(self) -> int:
        """A position in `requests`, for `since=` in the wait helpers."""
        return len(self.requests)

    def add_user(self, user: User) -> User:
        return self.telegram.chats.register(user)

    # -- shared by the parts ----------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        spec = self.spec.method(method)
        if spec is None:
            raise ValueError(f"{method!r} is not a Bot API method")
        return spec.name

    def _log(self, request: Request) -> None:
        """A request came: it takes the next place in `requests`."""
        position = len(self.requests)
        self.requests.append(request)
        self._positions[id(request)] = position
        self._by_method[request.method].append((position, request))

    def _requests_of(self, method: str) -> list[tuple[int, Request]]:
        """The requests of one method (as logged) with their places, in arrival order; the
        list grows as requests come."""
        return self._by_method[method]

    def _notify(self) -> None:
        """Wake every waiter to re-check its condition (a request came or was answered)."""
        self._activity.set()
        self._activity = asyncio.Event()

    def _answered(self, request: Request, status: int, response: Any) -> None:
        """Log the answer the bot got (or the bytes it got instead) and wake the waiters."""
        request.status, request.response = status, response
        request.answered_at = time.monotonic()
        if request.method in self._sending_methods or request.method in EDIT_METHODS:
            position = self._positions[id(request)]
            self._sent.record(position, request.result, edit=request.method in EDIT_METHODS)
        self._notify()

    def _finish(self, request: Request, outcome: JSON | ApiError) -> web.Response:
        """Answer with JSON: the result, or the error as Telegram shapes it."""
        if isinstance(outcome, ApiError):
            status, body = outcome.status, outcome.to_json()
        else:
            status, body = 200, outcome
        self._answered(request, status, body)
        return web.json_response(body, status=status)


def as_dict(message: MessageLike) -> JSON:
    """A Message as a dict, whether the emulator's JSON or aiogram's model."""
    if hasattr(message, "model_dump"):
        return dict(message.model_dump(by_alias=True, exclude_none=True))
    return dict(message)
