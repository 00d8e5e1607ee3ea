"""The bot's chats: private ones with users, and groups and channels; who exists, who blocked
us, who asked to join, what was said."""

from __future__ import annotations

import copy
import itertools
import time

from emulator.models import JSON, ApiError, Group, User, bad_request, chat_of, json_copy
from emulator.telegram.rosters import Roster

FIRST_USER_ID = 100_000_001
# Telegram's chat ids of groups are negative; a supergroup's begin with -100.
FIRST_GROUP_ID = -4_000_000_001
FIRST_SUPERGROUP_ID = -1_000_000_000_001
# How long the bot may write to someone who asked to join a chat, unless it answers first.
JOIN_REQUEST_CHAT_SECONDS = 5 * 60


class ChatStore:
    """Users the bot can write to, the groups and channels it is in (with their members), and
    the messages of these chats."""

    def __init__(self, bot_user: JSON) -> None:
        self.bot_user = bot_user
        self.users: dict[int, User] = {}
        self.blocked: set[int] = set()
        self.groups: dict[int, Group] = {}
        self.rosters: dict[int, Roster] = {}
        # Users with a pending join request, writable until the deadline (time.monotonic()).
        self.join_requesters: dict[int, tuple[User, float]] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self._last_message_id: dict[int, int] = {}
        self._user_ids = itertools.count(FIRST_USER_ID)
        self._group_ids = itertools.count()

    def register(self, user: User) -> User:
        self.users[user.id] = user
        return user

    def new_user_id(self) -> int:
        return next(uid for uid in self._user_ids if uid not in self.users)

    def add_group(self, group: Group) -> Group:
        self.groups[group.id] = group
        self.rosters[group.id] = Roster(group)
        return group

    def new_group(
        self, title: str, kind: str, *, id: int | None = None, can_send: bool = True
    ) -> Group:
        """A new group, supergroup or channel (`kind`), with the bot in it as an administrator;
        `id`: a chosen one (negative, as Telegram's are), else the next free one."""
        if id is None:
            id = self.new_group_id(supergroup=kind != "group")
        elif id >= 0 or id in self.groups:
            raise ValueError(f"{id} is not a free group or channel id (those are negative)")
        return self.add_group(Group(id=id, title=title, type=kind, can_send=can_send))

    def new_group_id(self, *, supergroup: bool = False) -> int:
        first = FIRST_SUPERGROUP_ID if supergroup else FIRST_GROUP_ID
        return next(first - n for n in self._group_ids if first - n not in self.groups)

    def private_chat_of(self, chat_id: object) -> User:
        """The user whose private chat this is; 400 "chat not found" as Telegram says.

        Someone who asked to join a chat of the bot counts for 5 minutes, or until the bot
        answers the request (Telegram's ChatJoinRequest.user_chat_id)."""
        user = self.users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None and isinstance(chat_id, int) and chat_id in self.join_requesters:
            requester, deadline = self.join_requesters[chat_id]
            user = requester if time.monotonic() < deadline else None
        if user is None:
            raise bad_request("chat not found")
        return user

    def roster_of(self, chat_id: object) -> Roster:
        """The members of a group or channel the bot is in: 400 "chat not found" for one that
        does not exist (or was deleted), 403 once the bot was kicked from it or while it is not
        in it."""
        roster = self.rosters.get(chat_id) if isinstance(chat_id, int) else None
        if roster is None:
            raise bad_request("chat not found")
        if roster.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {roster.chat.type} chat")
        if roster.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {roster.chat.type} chat")
        return roster

    def writable_chat(self, chat_id: object) -> User | Group:
        """The chat the bot is sending to, unless it does not exist, blocked the bot, or is a
        group where the bot may not write."""
        if isinstance(chat_id, int) and chat_id in self.rosters:
            roster = self.roster_of(chat_id)
            group = roster.chat
            if group.type == "channel" and roster.bot_status != "administrator":
                raise bad_request("need administrator rights in the channel chat")
            if not group.can_send:
                raise bad_request("not enough rights to send text messages to the chat")
            return group
        user = self.private_chat_of(chat_id)
        if user.id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    def add_message(
        self, chat: User | Group, *, from_bot: bool, content: JSON, author: User | None = None
    ) -> JSON:
        """Store a new message of the chat (every sender shares one message_id sequence): the
        bot's, or `author`'s (in a private chat, the user's own)."""
        if author is None and isinstance(chat, User):
            author = chat
        if from_bot:
            sender = json_copy(self.bot_user)
        elif author is not None:
            sender = author.to_dict()
        else:
            raise ValueError("a user's message in a group needs its author")
        message_id = self._last_message_id.get(chat.id, 0) + 1
        self._last_message_id[chat.id] = message_id
        message: JSON = {
            "message_id": message_id,
            "from": sender,
            "chat": chat_of(chat),
            "date": int(time.time()),
            **json_copy(content),
        }
        self.messages[(chat.id, message_id)] = message
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
