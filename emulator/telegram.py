"""Telegram's side of the Bot API methods: state changes and the objects answered.

Handlers take decoded parameters and return the `result` of the answer, or raise ApiError
with the description Telegram would give.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import mimetypes
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from emulator.chats import ChatStore
from emulator.formatting import EntityParseError, format_text, utf16_len
from emulator.ledger import StarsLedger
from emulator.models import (
    JSON,
    ApiError,
    Charge,
    InvoiceLink,
    SentInvoice,
    UploadedFile,
    User,
    bad_request,
)
from emulator.spec import BotAPISpec
from emulator.updates import UpdateQueue

BOT_USERNAME = "stars_shop_test_bot"
BOT_FIRST_NAME = "Stars Shop"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
# Telegram's limits; text lengths in UTF-16 code units, as Telegram counts them.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_PAYLOAD_BYTES = 128
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # what a bot may send as a file
# Stars subscriptions: the one period Telegram allows (30 days), and the highest price.
SUBSCRIPTION_PERIOD = 2592000
MAX_SUBSCRIPTION_PRICE = 10000
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")

Handler = Callable[[JSON], Any]


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


class FakeTelegram:
    """The state of one bot's world on Telegram's side, and its Bot API methods."""

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
        self.callback_queries: dict[str, JSON] = {}
        self.callback_answers: dict[str, JSON] = {}
        self.pre_checkouts: dict[str, PendingCheckout] = {}
        self.webhook_url = ""
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": lambda _: True,
            "close": lambda _: True,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendInvoice": self.send_invoice,
            "createInvoiceLink": self.create_invoice_link,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "answerPreCheckoutQuery": self.answer_pre_checkout_query,
            "refundStarPayment": self.refund_star_payment,
            "editUserStarSubscription": self.edit_user_star_subscription,
            "getStarTransactions": self.get_star_transactions,
            "getMyStarBalance": lambda _: {"amount": self.ledger.balance},
            "getChat": self.get_chat,
        }

    def handle(self, method: str, params: JSON) -> Any:
        handler = self.handlers.get(method)
        if handler is not None:
            return handler(params)
        return self.generic(method, params)

    # -- bot and webhook -------------------------------------------------------------------

    def get_me(self, _: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def set_webhook(self, params: JSON) -> bool:
        self.webhook_url = str(params.get("url", ""))
        if params.get("drop_pending_updates"):
            self.updates.drop_pending()
        return True

    def delete_webhook(self, params: JSON) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self.updates.drop_pending()
        return True

    def get_webhook_info(self, _: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates.pending),
        }
        if self.updates.allowed_updates:
            info["allowed_updates"] = list(self.updates.allowed_updates)
        return info

    async def get_updates(self, params: JSON, client_gone: Callable[[], bool]) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        return await self.updates.get_updates(
            offset=int(params.get("offset", 0)),
            limit=int(params.get("limit", 100)),
            poll_seconds=float(params.get("timeout", 0)),
            allowed_updates=params.get("allowed_updates"),
            client_gone=client_gone,
        )

    # -- messages --------------------------------------------------------------------------

    def send_message(self, params: JSON) -> JSON:
        user = self.chats.writable_chat(params["chat_id"])
        text, entities = _formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        _check_text_length(text)
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._send(user, params, content)

    def send_invoice(self, params: JSON) -> JSON:
        user = self.chats.writable_chat(params["chat_id"])
        _check_invoice(params)
        invoice = {
            "title": params["title"],
            "description": params["description"],
            "start_parameter": params.get("start_parameter", ""),
            "currency": params["currency"],
            "total_amount": sum(int(price["amount"]) for price in params["prices"]),
        }
        message = self._send(user, params, {"invoice": invoice})
        # The Invoice in the message has no payload; keep it to play the user's payment.
        self.invoices.append(
            SentInvoice(
                chat_id=user.id,
                message_id=message["message_id"],
                title=params["title"],
                description=params["description"],
                payload=params["payload"],
                currency=params["currency"],
                prices=params["prices"],
            )
        )
        return message

    def create_invoice_link(self, params: JSON) -> str:
        """A link anyone may pay; with subscription_period, Telegram renews it every period."""
        _check_invoice(params)
        period = params.get("subscription_period")
        if period is not None:
            if period != SUBSCRIPTION_PERIOD:
                raise SpecViolation(
                    f"subscription_period must be {SUBSCRIPTION_PERIOD}, got {period}",
                    answer="SUBSCRIPTION_PERIOD_INVALID",
                )
            if params["currency"] != "XTR":
                raise SpecViolation(
                    "subscription_period needs the currency XTR", answer="CURRENCY_INVALID"
                )
            amount = sum(int(price["amount"]) for price in params["prices"])
            if amount > MAX_SUBSCRIPTION_PRICE:
                raise SpecViolation(
                    f"a subscription costs at most {MAX_SUBSCRIPTION_PRICE} Stars, got {amount}",
                    answer="SUBSCRIPTION_PRICE_INVALID",
                )
        url = "https://t.me/$" + secrets.token_urlsafe(16)
        self.invoice_links[url] = InvoiceLink(
            url=url,
            title=params["title"],
            description=params["description"],
            payload=params["payload"],
            currency=params["currency"],
            prices=params["prices"],
            subscription_period=period,
        )
        return url

    def send_document(self, params: JSON) -> JSON:
        """A file: uploaded (the bytes are in the request's `files`) or named by file_id/URL."""
        user = self.chats.writable_chat(params["chat_id"])
        document = params["document"]
        content = _media_content("sendDocument", params)
        if isinstance(document, UploadedFile):
            if document.size == 0:
                raise bad_request("file must be non-empty")
            if document.size > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            guessed, _ = mimetypes.guess_type(document.filename or "")
            content["document"].update(
                file_name=document.filename or "document",
                mime_type=guessed or document.content_type,
                file_size=document.size,
            )
        if utf16_len(content.get("caption", "")) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return self._send(user, params, content)

    def edit_message_text(self, params: JSON) -> JSON | bool:
        if "inline_message_id" in params:
            return True
        message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = _formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        _check_text_length(text)
        return self._edit(message, {"text": text, "entities": entities}, params)

    def edit_message_caption(self, params: JSON) -> JSON | bool:
        if "inline_message_id" in params:
            return True
        message = self._editable(params)
        caption, entities = _formatted(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        changes = {"caption": caption or None, "caption_entities": entities}
        return self._edit(message, changes, params)

    def edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        if "inline_message_id" in params:
            return True
        return self._edit(self._editable(params), {}, params)

    def delete_message(self, params: JSON) -> bool:
        key = (params["chat_id"], params["message_id"])
        if self.chats.get(*key) is None:
            raise bad_request("message to delete not found")
        del self.chats.messages[key]
        return True

    def delete_messages(self, params: JSON) -> bool:
        chat_id = params["chat_id"]
        for message_id in params["message_ids"]:
            self.chats.messages.pop((chat_id, message_id), None)
        return True

    def send_chat_action(self, params: JSON) -> bool:
        self.chats.writable_chat(params["chat_id"])
        return True

    def get_chat(self, params: JSON) -> JSON:
        user = self.chats.private_chat_of(params["chat_id"])
        return {
            **user.private_chat(),
            "accent_color_id": user.id % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,  # Bot API 9.3: aiogram 3.23+ requires it
            },
        }

    def generic(self, method: str, params: JSON) -> Any:
        """Methods the shop does not need: a plausible answer so the bot keeps going."""
        returns = self.spec.methods[method].returns
        sends = method.startswith(("send", "forward", "copy"))
        if not sends or "chat_id" not in params:
            return True
        user = self.chats.writable_chat(params["chat_id"])
        if returns == ("Message",):
            return self._send(user, params, _media_content(method, params))
        if returns == ("Array of Message",):
            items = params.get("media") or params.get("message_ids") or [{}]
            return [self._send(user, params, {}) for _ in items]
        if returns == ("MessageId",):
            return {"message_id": self._send(user, params, {})["message_id"]}
        if returns == ("Array of MessageId",):
            ids = params.get("message_ids", [])
            return [{"message_id": self._send(user, params, {})["message_id"]} for _ in ids]
        return True

    # -- callback queries and commands ------------------------------------------------------

    def answer_callback_query(self, params: JSON) -> bool:
        query_id = params["callback_query_id"]
        text = str(params.get("text", ""))
        if utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise SpecViolation(
                f"text is {utf16_len(text)} characters; the limit is {MAX_CALLBACK_ANSWER_LENGTH}",
                answer="MESSAGE_TOO_LONG",
            )
        if query_id not in self.callback_queries or query_id in self.callback_answers:
            raise bad_request(QUERY_TOO_OLD)
        self.callback_answers[query_id] = dict(params)
        return True

    def set_my_commands(self, params: JSON) -> bool:
        for command in params["commands"]:
            name = str(command.get("command", ""))
            if not _COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope") or {}
        if "chat_id" in scope:  # as Telegram: a chat the bot has never seen is unknown
            self.chats.private_chat_of(scope["chat_id"])
        self.commands[_commands_key(params)] = copy.deepcopy(params["commands"])
        return True

    def get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self.commands.get(_commands_key(params), []))

    def delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    # -- payments -------------------------------------------------------------------------

    def start_checkout(
        self,
        user: User,
        currency: str,
        amount: int,
        payload: str,
        subscription_period: int | None = None,
    ) -> str:
        """Queue a pre_checkout_query; its answer resolves the returned id's future."""
        query_id = unique_query_id()
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
        }
        self.pre_checkouts[query_id] = PendingCheckout(
            query=query, queued_at=time.monotonic(), subscription_period=subscription_period
        )
        self.updates.queue({"pre_checkout_query": query})
        return query_id

    def answer_pre_checkout_query(self, params: JSON) -> bool:
        pending = self.pre_checkouts.get(params["pre_checkout_query_id"])
        if pending is None or pending.expired or pending.answer.done():
            raise bad_request(QUERY_TOO_OLD)
        ok = bool(params["ok"])
        error_message = params.get("error_message")
        if not ok and not error_message:
            raise SpecViolation("error_message is required if ok is False")
        pending.answer.set_result((ok, error_message, time.monotonic()))
        return True

    def complete_payment(
        self,
        user: User,
        currency: str,
        amount: int,
        payload: str,
        subscription_period: int | None = None,
    ) -> tuple[Charge, int]:
        """Telegram took the Stars: ledger entry, then the successful_payment message (a
        subscription's first, with `subscription_period`)."""
        charge = self.ledger.record_payment(
            user, amount, payload, currency, subscription_period=subscription_period
        )
        payment = _successful_payment(charge)
        if subscription_period is not None:
            subscription = self.ledger.subscriptions[charge.charge_id]
            payment.update(
                is_recurring=True,
                is_first_recurring=True,
                subscription_expiration_date=subscription.expiration_date,
            )
        return charge, self.deliver_payment(user, payment)

    def renew(self, charge_id: str, *, deliver: bool = True) -> tuple[Charge, int | None]:
        """Telegram charges a subscription's next period: a new charge, and (`deliver`) its
        successful_payment, a recurring one without is_first_recurring."""
        charge, subscription = self.ledger.renew(charge_id)
        if not deliver:
            return charge, None
        payment = _successful_payment(charge)
        payment.update(
            is_recurring=True, subscription_expiration_date=subscription.expiration_date
        )
        return charge, self.deliver_payment(charge.user, payment)

    def deliver_payment(self, user: User, payment: JSON) -> int:
        message = self.chats.add_message(
            user, from_bot=False, content={"successful_payment": payment}
        )
        return self.updates.queue({"message": message})

    def edit_user_star_subscription(self, params: JSON) -> bool:
        """Only for the first charge of a subscription, and only the user who pays it."""
        subscription = self.ledger.subscriptions.get(params["telegram_payment_charge_id"])
        if subscription is None:
            raise bad_request("CHARGE_ID_INVALID")
        if subscription.user.id != params["user_id"]:
            raise bad_request("USER_ID_INVALID")
        subscription.canceled_by_bot = bool(params["is_canceled"])
        return True

    def refund_star_payment(self, params: JSON) -> bool:
        charge = self.ledger.refund(params["telegram_payment_charge_id"], params["user_id"])
        self.notify_refund(charge)
        return True

    def notify_refund(self, charge: Charge) -> int:
        refund = {
            "currency": charge.currency,
            "total_amount": charge.amount,
            "invoice_payload": charge.payload,
            "telegram_payment_charge_id": charge.charge_id,
            "provider_payment_charge_id": charge.provider_charge_id,
        }
        message = self.chats.add_message(
            charge.user, from_bot=False, content={"refunded_payment": refund}
        )
        return self.updates.queue({"message": message})

    def get_star_transactions(self, params: JSON) -> JSON:
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        return {"transactions": copy.deepcopy(self.ledger.page(offset, limit))}

    # -- helpers --------------------------------------------------------------------------

    def _send(self, user: User, params: JSON, content: JSON) -> JSON:
        content = {**content, **self._reply_to(user, params), **_inline_markup(params)}
        return self.chats.add_message(user, from_bot=True, content=content)

    def _reply_to(self, user: User, params: JSON) -> JSON:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict) or "message_id" not in reply:
            return {}
        original = self.chats.get(user.id, reply["message_id"])
        if original is None:
            if reply.get("allow_sending_without_reply"):
                return {}
            raise bad_request("message to be replied not found")
        return {"reply_to_message": copy.deepcopy(original)}

    def _editable(self, params: JSON) -> JSON:
        message = self.chats.get(params.get("chat_id"), params.get("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if not self.chats.is_from_bot(message):
            raise bad_request("message can't be edited")
        return message

    def _edit(self, message: JSON, changes: JSON, params: JSON) -> JSON:
        """Apply an edit; like Telegram, an edit without reply_markup drops the keyboard."""
        updated = copy.deepcopy(message)
        for key, value in {**changes, "reply_markup": None}.items():
            updated.pop(key, None)
            if value:
                updated[key] = value
        updated.update(_inline_markup(params))
        updated.pop("edit_date", None)
        current = {key: value for key, value in message.items() if key != "edit_date"}
        if updated == current:
            raise bad_request(NOT_MODIFIED)
        updated["edit_date"] = int(time.time())
        message.clear()
        message.update(updated)
        return copy.deepcopy(message)


def _successful_payment(charge: Charge) -> JSON:
    return {
        "currency": charge.currency,
        "total_amount": charge.amount,
        "invoice_payload": charge.payload,
        "telegram_payment_charge_id": charge.charge_id,
        "provider_payment_charge_id": charge.provider_charge_id,
    }


def _formatted(params: JSON, text_field: str, entities_field: str) -> tuple[str, list[JSON]]:
    """Text and entities after parse_mode; explicit entities win, as on Telegram."""
    raw = str(params.get(text_field, ""))
    if entities_field in params:
        return raw, list(params[entities_field])
    try:
        return format_text(raw, params.get("parse_mode"))
    except EntityParseError as error:
        raise bad_request(f"can't parse entities: {error}") from error


def _check_text_length(text: str) -> None:
    """A message's text after entity parsing, as Telegram measures it."""
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise SpecViolation(
            f"text is {utf16_len(text)} UTF-16 units after parsing; the limit is "
            f"{MAX_TEXT_LENGTH}",
            answer="message is too long",
        )


def _inline_markup(params: JSON) -> JSON:
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


def _check_invoice(params: JSON) -> None:
    """The limits the Bot API documents for sendInvoice, and the Stars-specific ones."""
    if not 1 <= len(params["title"]) <= 32:
        raise SpecViolation("title must be 1-32 characters")
    if not 1 <= len(params["description"]) <= 255:
        raise SpecViolation("description must be 1-255 characters")
    if not 1 <= len(str(params["payload"]).encode()) <= MAX_PAYLOAD_BYTES:
        raise SpecViolation(f"payload must be 1-{MAX_PAYLOAD_BYTES} bytes")
    prices = params["prices"]
    if params["currency"] == "XTR":
        if len(prices) != 1:
            raise SpecViolation("prices must contain exactly one item for XTR")
        if params.get("provider_token"):
            raise SpecViolation("provider_token must be empty for XTR")
        if params.get("max_tip_amount") or params.get("suggested_tip_amounts"):
            raise SpecViolation("tips are not supported for XTR")
    if sum(int(price["amount"]) for price in prices) <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        first = markup["inline_keyboard"][0][0] if markup["inline_keyboard"][0] else {}
        if not first.get("pay"):
            raise bad_request("REPLY_MARKUP_BUY_EMPTY")


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code", ""))


def _media_content(method: str, params: JSON) -> JSON:
    content: JSON = {}
    file_id = "AgAC" + secrets.token_urlsafe(24)
    unique_id = "AQAD" + secrets.token_urlsafe(8)
    if method == "sendPhoto":
        content["photo"] = [
            {"file_id": file_id, "file_unique_id": unique_id, "width": 90, "height": 90}
        ]
    elif method == "sendDocument":
        content["document"] = {"file_id": file_id, "file_unique_id": unique_id}
    caption, entities = _formatted(params, "caption", "caption_entities")
    if caption:
        content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
    return content
