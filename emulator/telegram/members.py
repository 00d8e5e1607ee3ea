"""Telegram's side of groups and channels: invite links, join requests, banning and unbanning,
and what the bot may ask about members.

Every change of a member's status queues a `chat_member` update, which getUpdates delivers
only to a bot that asked for it in `allowed_updates`, as Telegram does.
"""

from __future__ import annotations

import secrets
import time

from emulator.models import JSON, Group, User, bad_request, json_copy
from emulator.telegram.rosters import IN_CHAT, Roster
from emulator.telegram.world import TelegramWorld

INVITE_LINK_PREFIX = "https://t.me/+"
NO_RIGHTS_TO_RESTRICT = "not enough rights to restrict/unrestrict chat member"
# Telegram's limits on ban dates: closer than 30 s or further than 366 days is forever.
MIN_BAN_SECONDS = 30
MAX_BAN_SECONDS = 366 * 24 * 3600


class MemberMethods(TelegramWorld):
    """createChatInviteLink, the join requests, banChatMember and unbanChatMember,
    getChatMember, getChatAdministrators, and getChat of a group or channel."""

    # -- invite links ------------------------------------------------------------------------

    def create_chat_invite_link(self, params: JSON) -> JSON:
        roster = self.chats.roster_of(params["chat_id"])
        if not roster.bot_may("can_invite_users"):
            raise bad_request("not enough rights to manage chat invite link")
        joins_by_request = bool(params.get("creates_join_request", False))
        if joins_by_request and params.get("member_limit"):
            raise bad_request(
                "member limit can't be specified for links requiring administrator approval"
            )
        link: JSON = {
            "invite_link": INVITE_LINK_PREFIX + secrets.token_urlsafe(12),
            "creator": json_copy(self.bot_user),
            "creates_join_request": joins_by_request,
            "is_primary": False,
            "is_revoked": False,
        }
        for field in ("name", "expire_date", "member_limit"):
            if params.get(field):
                link[field] = params[field]
        roster.invite_links[link["invite_link"]] = link
        return json_copy(link)

    def revoke_chat_invite_link(self, params: JSON) -> JSON:
        roster = self.chats.roster_of(params["chat_id"])
        if not roster.bot_may("can_invite_users"):
            raise bad_request("not enough rights to manage chat invite link")
        link = roster.invite_links.get(str(params["invite_link"]))
        if link is None:
            # Not checked against Telegram: the code its servers give for an unknown link.
            raise bad_request("INVITE_HASH_EXPIRED")
        link["is_revoked"] = True
        return json_copy(link)

    # -- join requests -----------------------------------------------------------------------

    def approve_chat_join_request(self, params: JSON) -> bool:
        roster, user_id = self._join_request(params)
        user = roster.users[user_id]
        roster.join_requests[user_id] = "approved"
        self.chats.join_requesters.pop(user_id, None)
        link = roster.join_links.pop(user_id, None)
        self.set_member_status(roster, user, "member", join_request=link or {})
        return True

    def decline_chat_join_request(self, params: JSON) -> bool:
        roster, user_id = self._join_request(params)
        roster.join_requests[user_id] = "declined"
        roster.join_links.pop(user_id, None)
        self.chats.join_requesters.pop(user_id, None)
        return True

    def _join_request(self, params: JSON) -> tuple[Roster, int]:
        """The chat and the user of a join request the bot may answer now."""
        roster = self.chats.roster_of(params["chat_id"])
        if not roster.bot_may("can_invite_users"):
            raise bad_request("not enough rights")
        user_id = int(params["user_id"])
        if roster.status(user_id) in IN_CHAT:
            raise bad_request("USER_ALREADY_PARTICIPANT")
        if roster.join_requests.get(user_id) != "pending":
            raise bad_request("HIDE_REQUESTER_MISSING")
        return roster, user_id

    # -- banning -----------------------------------------------------------------------------

    def ban_chat_member(self, params: JSON) -> bool:
        roster, user = self._removable(params)
        until = int(params.get("until_date", 0))
        if not MIN_BAN_SECONDS <= until - time.time() <= MAX_BAN_SECONDS:
            until = 0
        roster.until_dates[user.id] = until
        if roster.status(user.id) != "kicked":
            self.set_member_status(roster, user, "kicked")
        return True

    def unban_chat_member(self, params: JSON) -> bool:
        """Unbanning a banned user lets them join again; without only_if_banned, unbanning a
        member removes them from the chat (Telegram's way to kick without a ban)."""
        roster, user = self._removable(params)
        status = roster.status(user.id)
        if status == "kicked" or (status in IN_CHAT and not params.get("only_if_banned")):
            roster.until_dates.pop(user.id, None)
            self.set_member_status(roster, user, "left")
        return True

    def _removable(self, params: JSON) -> tuple[Roster, User]:
        """The chat and a user the bot may ban or unban there."""
        roster = self.chats.roster_of(params["chat_id"])
        if not roster.bot_may("can_restrict_members"):
            raise bad_request(NO_RIGHTS_TO_RESTRICT)
        user = self._user_in(roster, params["user_id"])
        status = roster.status(user.id)
        if status == "creator":
            raise bad_request("can't remove chat owner")
        if status == "administrator":
            raise bad_request("user is an administrator of the chat")
        return roster, user

    # -- what the bot may ask ----------------------------------------------------------------

    def get_chat_member(self, params: JSON) -> JSON:
        roster = self.chats.roster_of(params["chat_id"])
        if params["user_id"] == self.bot_id:
            return roster.bot_member(json_copy(self.bot_user))
        return roster.member(self._user_in(roster, params["user_id"]).to_dict())

    def get_chat_administrators(self, params: JSON) -> list[JSON]:
        roster = self.chats.roster_of(params["chat_id"])
        admins = [
            roster.member(roster.users[user_id].to_dict())
            for user_id, status in roster.statuses.items()
            if status in ("creator", "administrator")
        ]
        if roster.bot_status == "administrator":
            admins.append(roster.bot_member(json_copy(self.bot_user)))
        return admins

    def get_group_chat(self, group: Group) -> JSON:
        """getChat of a group, supergroup or channel: its ChatFullInfo."""
        return {
            **group.to_chat(),
            "accent_color_id": abs(group.id) % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,  # Bot API 9.3: aiogram 3.23+ requires it
            },
        }

    # -- shared with the test's actions ------------------------------------------------------

    def set_member_status(
        self,
        roster: Roster,
        user: User,
        status: str,
        *,
        by: User | None = None,
        join_request: JSON | None = None,
    ) -> int:
        """Change a member's status and queue the `chat_member` update saying so; `by` is who
        did it (None: the bot). `join_request` holds the invite link of an approved request
        (an empty dict: a request without one). Returns the update_id."""
        old = roster.member(user.to_dict())
        roster.users[user.id] = user
        roster.statuses[user.id] = status
        change: JSON = {
            "chat": roster.chat.to_chat(),
            "from": by.to_dict() if by is not None else json_copy(self.bot_user),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": roster.member(user.to_dict()),
        }
        if join_request is not None:
            change["via_join_request"] = True
            if join_request:
                change["invite_link"] = json_copy(join_request)
        return self.updates.queue({"chat_member": change})

    def _user_in(self, roster: Roster, user_id: object) -> User:
        """A user Telegram knows: one seen in the chat, or one who talked to the bot."""
        user = roster.users.get(user_id) if isinstance(user_id, int) else None
        user = user or (self.chats.users.get(user_id) if isinstance(user_id, int) else None)
        if user is None:
            raise bad_request("user not found")
        return user
