"""Telegram's side of the Bot API: one bot's methods by name, and those of the bot itself.

The methods live by what they play: messages.py (messages and buttons), payments.py (Stars),
members.py (groups and channels: invite links, join requests, bans), webhooks.py (the webhook),
this module (getMe, getUpdates, commands, getChat, and a plausible answer for the rest);
world.py holds the state they share.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from emulator.models import JSON, bad_request
from emulator.spec import BotAPISpec
from emulator.telegram.members import MemberMethods
from emulator.telegram.messages import MessageMethods, media_content
from emulator.telegram.payments import PaymentMethods

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")

Handler = Callable[[JSON], Any]


class FakeTelegram(MessageMethods, PaymentMethods, MemberMethods):
    """The state of one bot's world on Telegram's side, and its Bot API methods."""

    def __init__(self, token: str, spec: BotAPISpec) -> None:
        super().__init__(token, spec)
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": lambda _: True,
            "close": lambda _: True,
            "setWebhook": self.webhook.set_webhook,
            "deleteWebhook": self.webhook.delete_webhook,
            "getWebhookInfo": self.webhook.get_webhook_info,
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
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
            "answerPreCheckoutQuery": self.answer_pre_checkout_query,
            "refundStarPayment": self.refund_star_payment,
            "editUserStarSubscription": self.edit_user_star_subscription,
            "getStarTransactions": self.get_star_transactions,
            "getMyStarBalance": lambda _: {"amount": self.ledger.balance},
            "getChat": self.get_chat,
            "createChatInviteLink": self.create_chat_invite_link,
            "revokeChatInviteLink": self.revoke_chat_invite_link,
            "approveChatJoinRequest": self.approve_chat_join_request,
            "declineChatJoinRequest": self.decline_chat_join_request,
            "banChatMember": self.ban_chat_member,
            "unbanChatMember": self.unban_chat_member,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
        }

    def handle(self, method: str, params: JSON) -> Any:
        handler = self.handlers.get(method)
        if handler is not None:
            return handler(params)
        return self.generic(method, params)

    # -- the bot and getUpdates (the webhook: webhooks.py) ---------------------------------

    def get_me(self, _: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: JSON, client_gone: Callable[[], bool]) -> list[JSON]:
        return await self.updates.get_updates(
            offset=int(params.get("offset", 0)),
            limit=int(params.get("limit", 100)),
            poll_seconds=float(params.get("timeout", 0)),
            allowed_updates=params.get("allowed_updates"),
            client_gone=client_gone,
        )

    # -- commands and chats -----------------------------------------------------------------

    def set_my_commands(self, params: JSON) -> bool:
        for command in params["commands"]:
            name = str(command.get("command", ""))
            if not _COMMAND_NAME.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        _check_language_code(params)
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

    def set_my_description(self, params: JSON) -> bool:
        return self._describe(self.descriptions, params, "description", 512)

    def get_my_description(self, params: JSON) -> JSON:
        return {"description": self.descriptions.get(str(params.get("language_code", "")), "")}

    def set_my_short_description(self, params: JSON) -> bool:
        return self._describe(self.short_descriptions, params, "short_description", 120)

    def get_my_short_description(self, params: JSON) -> JSON:
        language = str(params.get("language_code", ""))
        return {"short_description": self.short_descriptions.get(language, "")}

    @staticmethod
    def _describe(held: dict[str, str], params: JSON, field: str, limit: int) -> bool:
        """As Telegram: an empty text removes the language's own; at most `limit` characters."""
        _check_language_code(params)
        text, language = str(params.get(field, "")), str(params.get("language_code", ""))
        if len(text) > limit:
            raise bad_request(f"{field.upper()}_INVALID")
        if text:
            held[language] = text
        else:
            held.pop(language, None)
        return True

    def get_chat(self, params: JSON) -> JSON:
        if params["chat_id"] in self.chats.rosters:
            return self.get_group_chat(self.chats.roster_of(params["chat_id"]).chat)
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
        chat = self.chats.writable_chat(params["chat_id"])
        if returns == ("Message",):
            return self._send(chat, params, media_content(method, params))
        if returns == ("Array of Message",):
            items = params.get("media") or params.get("message_ids") or [{}]
            return [self._send(chat, params, {}) for _ in items]
        if returns == ("MessageId",):
            return {"message_id": self._send(chat, params, {})["message_id"]}
        if returns == ("Array of MessageId",):
            ids = params.get("message_ids", [])
            return [{"message_id": self._send(chat, params, {})["message_id"]} for _ in ids]
        return True


def _check_language_code(params: JSON) -> None:
    """A two-letter ISO 639-1 code, or none: every language without its own."""
    language = params.get("language_code")
    if language is not None and not re.fullmatch(r"[a-z]{2}|", str(language)):
        raise bad_request("LANG_CODE_INVALID")


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code", ""))
