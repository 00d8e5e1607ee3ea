"""Plain data the emulator and the tests share: users, groups, faults, requests, charges."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

JSON = dict[str, Any]
T = TypeVar("T")


def json_copy(value: T) -> T:
    """A deep copy of JSON data (what Telegram's objects are): a round trip through the C JSON
    codec is several times faster than copy.deepcopy, which matters in a flood of updates."""
    copied: T = json.loads(json.dumps(value))
    return copied


NO_HTTP_ANSWER = 0  # the status of a request answered with bytes that are not HTTP


@dataclass(frozen=True)
class User:
    """A Telegram user who talks to the bot in a private chat."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"
    last_name: str | None = None

    def to_dict(self) -> JSON:
        """The User object as Telegram sends it (optional fields only when set)."""
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def private_chat(self) -> JSON:
        """The Chat object of this user's private chat with the bot."""
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class Group:
    """A group, supergroup or channel with the bot in it: its members write there, and the bot
    may answer unless it was not allowed to (`can_send=False`, a member without that right).
    Who its members are is Telegram's state (telegram/rosters.py)."""

    id: int
    title: str
    type: str = "group"  # or "supergroup", "channel"
    can_send: bool = True

    def to_chat(self) -> JSON:
        """The Chat object of the group."""
        return {"id": self.id, "type": self.type, "title": self.title}


def chat_of(chat: User | Group) -> JSON:
    """The Chat object of a user's private chat with the bot, or of a group."""
    return chat.private_chat() if isinstance(chat, User) else chat.to_chat()


@dataclass(frozen=True)
class Fault:
    """What to answer instead of the normal result.

    `status=None` with a `delay` only slows the answer down: the request is still carried
    out after the delay, even if the client gave up waiting, as Telegram does when only the
    response is lost. `body` replaces the JSON answer with raw text (Telegram's nginx answers
    502 with an HTML page, which is the default for 502). `raw` is written to the socket instead
    of any HTTP answer, which is then closed: a broken proxy whose answer the client cannot
    parse (`MALFORMED`). `page` is an HTML page sent as it is, claiming UTF-8, with `{path}` in
    it replaced by the request's path: a proxy's error page quoting the URL (`NOT_UTF8_PAGE`).
    """

    status: int | None = 500
    description: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    body: str | None = None
    raw: bytes | None = None
    page: bytes | None = None


# Not HTTP: aiohttp fails to parse it and raises ClientResponseError, whose text names the URL.
MALFORMED = Fault(raw=b"HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n{}")
# An Apache in front of the Bot API that could not reach it: its page quotes the request path,
# token and all, and its footer holds a Latin-1 "\xa9", though the page claims UTF-8. aiohttp
# fails to decode it and raises UnicodeDecodeError, which holds the whole page.
NOT_UTF8_PAGE = Fault(
    status=502,
    page=(
        b"<html><head><title>502 Proxy Error</title></head><body><h1>Proxy Error</h1>\n"
        b"<p>The proxy server could not handle the request <em>POST {path}</em>.</p>\n"
        b"<hr><address>Apache/2.4.62 (Debian) \xa9 Bot API gateway</address></body></html>\n"
    ),
)


@dataclass
class Request:
    """One HTTP request the bot made, as the emulator saw and answered it."""

    method: str
    params: JSON
    time: float
    http_method: str = "POST"
    path: str = ""
    files: dict[str, UploadedFile] = field(default_factory=dict)
    response: Any = None
    status: int | None = None  # None until answered; NO_HTTP_ANSWER for a `raw` fault
    fault: Fault | None = None
    answered_at: float | None = None  # time.monotonic() of the answer, like `time`

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        """The `result` of a successful answer, None otherwise."""
        if isinstance(self.response, dict) and self.response.get("ok"):
            return self.response.get("result")
        return None

    def summary(self) -> str:
        shown = {key: value for key, value in self.params.items() if key != "reply_markup"}
        text = repr(shown)
        if len(text) > 160:
            text = text[:157] + "..."
        return f"{self.method}({text}) -> {self.status}"


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str
    size: int
    content: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class CheckoutResult:
    """How a simulated Stars checkout ended."""

    ok: bool
    error_message: str | None
    charge_id: str | None
    answered_in: float | None
    successful_payment_update_id: int | None
    query_id: str | None = None  # the pre_checkout_query this checkout answered
    subscription_period: int | None = None  # paid through a subscription's invoice link


@dataclass
class Charge:
    """A Stars payment Telegram took from a user for the bot."""

    charge_id: str
    provider_charge_id: str
    user: User
    amount: int
    payload: str
    currency: str
    date: int
    refunded: bool = False
    # A subscription's payment: its period (seconds), and the first charge of its subscription.
    subscription_period: int | None = None
    subscription_id: str | None = None

    @property
    def user_id(self) -> int:
        return self.user.id


@dataclass
class StarSubscription:
    """A user's Stars subscription as Telegram keeps it, named by its first charge."""

    first_charge_id: str
    user: User
    amount: int
    payload: str
    currency: str
    period: int
    expiration_date: int  # Unix time: the next renewal
    canceled_by_bot: bool = False
    charge_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InvoiceLink:
    """An invoice link the bot created; paying it as a subscription needs the period."""

    url: str
    title: str
    description: str
    payload: str
    currency: str
    prices: list[JSON]
    subscription_period: int | None

    @property
    def total_amount(self) -> int:
        return sum(int(price["amount"]) for price in self.prices)


@dataclass(frozen=True)
class SentInvoice:
    """An invoice the bot sent; the Invoice object in the message lacks the payload."""

    chat_id: int
    message_id: int
    title: str
    description: str
    payload: str
    currency: str
    prices: list[JSON]

    @property
    def total_amount(self) -> int:
        return sum(int(price["amount"]) for price in self.prices)


class ApiError(Exception):
    """An error answer, shaped as Telegram shapes it."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")
