"""What happens in the groups and channels the bot is in: who is a member, what the bot may
do there, people asking to join, leaving, the bot being removed or the chat deleted."""

from __future__ import annotations

import time

from emulator.core import EmulatorCore
from emulator.models import JSON, Group, User, json_copy
from emulator.telegram.chats import JOIN_REQUEST_CHAT_SECONDS
from emulator.telegram.rosters import IN_CHAT, Roster

# Members a test may put in a chat; "left" and "kicked" come from what happens there.
ADDABLE = frozenset({"creator", "administrator", "member", "restricted"})


class ChatActions(EmulatorCore):
    """Groups and channels: their members, the bot's rights there, join requests."""

    def channel(
        self, title: str = "Test channel", *, id: int | None = None, bot_added: bool = True
    ) -> Group:
        """A new channel with the bot in it as an administrator; `id`: a chosen one (negative),
        else the next free one. `bot_added=False`: the bot is not in it yet (Telegram answers
        403 there) until `set_bot_rights` adds it."""
        channel = self.telegram.chats.new_group(title, "channel", id=id)
        if not bot_added:
            self._roster(channel).bot_status = "left"
        return channel

    def set_bot_rights(
        self,
        chat: Group,
        *,
        admin: bool = True,
        can_invite_users: bool = True,
        can_restrict_members: bool = True,
        by: User | None = None,
        notify: bool = False,
    ) -> int | None:
        """The bot's membership of the chat: an administrator with these rights, or (with
        `admin=False`) a plain member. With `notify`, `by` (else the chat's creator) did it and
        the bot gets its `my_chat_member` (old status -> new); returns that update's id."""
        roster = self._roster(chat)
        bot = self.telegram.bot_user
        old = roster.bot_member(json_copy(bot))
        roster.bot_status = "administrator" if admin else "member"
        roster.can_invite_users = can_invite_users
        roster.can_restrict_members = can_restrict_members
        if not notify:
            return None
        return self._queue_bot_change(roster, old, roster.bot_member(json_copy(bot)), by)

    def remove_bot(
        self, chat: Group, *, by: User | None = None, notify: bool = True
    ) -> int | None:
        """An administrator (`by`, else the chat's creator) bans the bot: every method on the
        chat answers 403 from now on; with `notify` the bot gets its `my_chat_member` (its
        update_id is returned)."""
        roster = self._roster(chat)
        bot = self.telegram.bot_user
        old = roster.bot_member(json_copy(bot))
        roster.bot_status = "kicked"
        if not notify:
            return None
        new = {"status": "kicked", "user": json_copy(bot), "until_date": 0}
        return self._queue_bot_change(roster, old, new, by)

    def _queue_bot_change(self, roster: Roster, old: JSON, new: JSON, by: User | None) -> int:
        """Queue the bot's `my_chat_member` update: `by` (else the chat's creator) changed the
        bot's ChatMember from `old` to `new`."""
        if old["status"] == "kicked":
            old = {**old, "until_date": 0}
        changer = by or roster.users.get(roster.creator_id() or 0)
        return self.telegram.updates.queue(
            {
                "my_chat_member": {
                    "chat": roster.chat.to_chat(),
                    "from": changer.to_dict() if changer else json_copy(self.telegram.bot_user),
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )

    def delete_chat(self, chat: Group) -> None:
        """The chat is deleted: Telegram answers "chat not found" for it from now on."""
        self.telegram.chats.groups.pop(chat.id, None)
        self.telegram.chats.rosters.pop(chat.id, None)

    def add_member(self, chat: Group, user: User, status: str = "member") -> None:
        """Put a user in the chat as one who was there before the bot (no update)."""
        if status not in ADDABLE:
            raise ValueError(f"status must be one of {sorted(ADDABLE)}, not {status!r}")
        roster = self._roster(chat)
        creator = roster.creator_id()
        if status == "creator" and creator not in (None, user.id):
            raise ValueError(f"chat {chat.id} already has its creator, user {creator}")
        roster.users[user.id] = user
        roster.statuses[user.id] = status

    def member_status(self, chat: Group, user_id: int) -> str:
        """The user's status in the chat: "member", "kicked", "left" (also for never seen)..."""
        return self._roster(chat).status(user_id)

    def leave(self, chat: Group, user: User) -> int:
        """The user leaves the chat; returns the update_id of the `chat_member` update."""
        roster = self._roster(chat)
        if roster.status(user.id) not in IN_CHAT:
            raise ValueError(f"user {user.id} is not in chat {chat.id}")
        return self.telegram.set_member_status(roster, user, "left", by=user)

    def invite_links(self, chat: Group) -> list[JSON]:
        """The invite links the bot created for the chat, as ChatInviteLink objects."""
        return json_copy(list(self._roster(chat).invite_links.values()))

    def request_join(self, user: User, chat: Group, invite_link: str | None = None) -> int:
        """The user asks to join the chat (through `invite_link`, one of the bot's links that
        creates join requests); returns the update_id of the `chat_join_request`.

        Until the bot answers, or for 5 minutes, it may write to the user even if they never
        started it.
        """
        roster = self._roster(chat)
        if roster.status(user.id) in IN_CHAT or roster.status(user.id) == "kicked":
            raise ValueError(f"user {user.id} is {roster.status(user.id)} in chat {chat.id}")
        link = self._join_link(roster, invite_link)
        roster.users[user.id] = user
        roster.join_requests[user.id] = "pending"
        roster.join_links[user.id] = link
        deadline = time.monotonic() + JOIN_REQUEST_CHAT_SECONDS
        self.telegram.chats.join_requesters[user.id] = (user, deadline)
        request: JSON = {
            "chat": chat.to_chat(),
            "from": user.to_dict(),
            "user_chat_id": user.id,
            "date": int(time.time()),
        }
        if link is not None:
            request["invite_link"] = json_copy(link)
        return self.telegram.updates.queue({"chat_join_request": request})

    def join_request_state(self, chat: Group, user_id: int) -> str | None:
        """The user's latest join request: "pending", "approved", "declined", or None."""
        return self._roster(chat).join_requests.get(user_id)

    def _roster(self, chat: Group) -> Roster:
        roster = self.telegram.chats.rosters.get(chat.id)
        if roster is None:
            raise ValueError(f"chat {chat.id} does not exist (deleted?)")
        return roster

    @staticmethod
    def _join_link(roster: Roster, invite_link: str | None) -> JSON | None:
        if invite_link is None:
            return None
        link = roster.invite_links.get(invite_link)
        if link is None or link["is_revoked"] or not link["creates_join_request"]:
            raise ValueError(f"{invite_link} is not a live join-request link of the chat")
        return link
