"""Private chats between users and the bot: who exists, who blocked us, what was said."""

from __future__ import annotations

import copy
import itertools
import time

from emulator.models import JSON, ApiError, User, bad_request, json_copy

FIRST_USER_ID = 100_000_001


class ChatStore:
    """Users the bot can write to and the messages of their private chats."""

    def __init__(self, bot_user: JSON) -> None:
        self.bot_user = bot_user
        self.users: dict[int, User] = {}
        self.blocked: set[int] = set()
        self.messages: dict[tuple[int, int], JSON] = {}
        self._last_message_id: dict[int, int] = {}
        self._user_ids = itertools.count(FIRST_USER_ID)

    def register(self, user: User) -> User:
        self.users[user.id] = user
        return user

    def new_user_id(self) -> int:
        return next(uid for uid in self._user_ids if uid not in self.users)

    def private_chat_of(self, chat_id: object) -> User:
        """The user whose private chat this is; 400 "chat not found" as Telegram says."""
        user = self.users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise bad_request("chat not found")
        return user

    def writable_chat(self, chat_id: object) -> User:
        """The chat the bot is sending to, unless it does not exist or blocked the bot."""
        user = self.private_chat_of(chat_id)
        if user.id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    def add_message(self, user: User, *, from_bot: bool, content: JSON) -> JSON:
        """Store a new message of the chat (both sides share one message_id sequence)."""
        message_id = self._last_message_id.get(user.id, 0) + 1
        self._last_message_id[user.id] = message_id
        message: JSON = {
            "message_id": message_id,
            "from": json_copy(self.bot_user) if from_bot else user.to_dict(),
            "chat": user.private_chat(),
            "date": int(time.time()),
            **json_copy(content),
        }
        self.messages[(user.id, message_id)] = message
        return json_copy(message)

    def get(self, chat_id: object, message_id: object) -> JSON | None:
        if not isinstance(chat_id, int) or not isinstance(message_id, int):
            return None
        return self.messages.get((chat_id, message_id))

    def is_from_bot(self, message: JSON) -> bool:
        return bool(message["from"]["id"] == self.bot_user["id"])

    def history(self, chat_id: int) -> list[JSON]:
        """Current state of the chat (after edits and deletions), oldest first."""
        found = [m for (cid, _), m in self.messages.items() if cid == chat_id]
        return copy.deepcopy(sorted(found, key=lambda m: m["message_id"]))
