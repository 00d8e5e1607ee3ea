"""What Telegram keeps for one bot, and how a message of the bot lands in a chat.

The Bot API methods (bot.py, messages.py, payments.py) read and change this state. They take
decoded parameters and return the `result` of the answer, or raise ApiError with the
description Telegram would give.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import secrets

from emulator.models import (
    JSON,
    ApiError,
    Group,
    InvoiceLink,
    SentInvoice,
    UploadedFile,
    User,
    bad_request,
)
from emulator.spec import BotAPISpec
from emulator.telegram.chats import ChatStore
from emulator.telegram.ledger import StarsLedger
from emulator.telegram.updates import UpdateQueue
from emulator.telegram.webhooks import Webhook

BOT_USERNAME = "stars_shop_test_bot"
BOT_FIRST_NAME = "Stars Shop"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
MAX_CALLBACK_DATA_BYTES = 64


class SpecViolation(ApiError):
    """A request that breaks a rule the Bot API documents; also listed in violations.

    `answer` is what Telegram says about it, when that differs from the `reason` we list.
    """

    def __init__(self, reason: str, answer: str | None = None) -> None:
        super().__init__(400, f"Bad Request: {answer or reason}")
        self.reason = reason


@dataclasses.dataclass
class PendingCheckout:
    """A pre_checkout_query waiting for the bot's answerPreCheckoutQuery."""

    query: JSON
    queued_at: float
    subscription_period: int | None = None  # paying a subscription's invoice link
    answer: asyncio.Future[tuple[bool, str | None, float]] = dataclasses.field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    expired: bool = False


def unique_query_id() -> str:
    """Telegram's query ids are long decimal strings."""
    return str(secrets.randbelow(9 * 10**18) + 10**18)


class TelegramWorld:
    """The state of one bot's world on Telegram's side."""

    def __init__(self, token: str, spec: BotAPISpec) -> None:
        self.spec = spec
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        self.chats = ChatStore(self.bot_user)
        self.ledger = StarsLedger()
        self.updates = UpdateQueue()
        self.invoices: list[SentInvoice] = []
        self.invoice_links: dict[str, InvoiceLink] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        # setMyDescription and setMyShortDescription, by language code ("": every other).
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.callback_queries: dict[str, JSON] = {}
        self.callback_answers: dict[str, JSON] = {}
        self.pre_checkouts: dict[str, PendingCheckout] = {}
        self.webhook = Webhook(self.updates)
        # Files the bot uploaded, in order, and the Document each file_id names.
        self.uploads: list[UploadedFile] = []
        self.documents: dict[str, JSON] = {}

    def _send(self, chat: User | Group, params: JSON, content: JSON) -> JSON:
        """A new message of the bot in the chat, as the send* methods answer it."""
        content = {**content, **self._reply_to(chat, params), **inline_markup(params)}
        if params.get("protect_content"):
            content["has_protected_content"] = True
        return self.chats.add_message(chat, from_bot=True, content=content)

    def _from_user(self, user: User, content: JSON) -> int:
        """A message of the user (a payment, a refund) as a new update; its update_id."""
        message = self.chats.add_message(user, from_bot=False, content=content)
        return self.updates.queue({"message": message})

    def _reply_to(self, chat: User | Group, params: JSON) -> JSON:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict) or "message_id" not in reply:
            return {}
        original = self.chats.get(chat.id, reply["message_id"])
        if original is None:
            if reply.get("allow_sending_without_reply"):
                return {}
            raise bad_request("message to be replied not found")
        return {"reply_to_message": copy.deepcopy(original)}


def inline_markup(params: JSON) -> JSON:
    """The reply_markup a Message carries: only inline keyboards, checked as Telegram does."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return {}
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise SpecViolation(
                    f"callback_data must be 1-{MAX_CALLBACK_DATA_BYTES} bytes, "
                    f"got {len(str(data).encode())}",
                    answer="BUTTON_DATA_INVALID",
                )
            url = button.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                raise bad_request("BUTTON_URL_INVALID")
    return {"reply_markup": copy.deepcopy(markup)}
