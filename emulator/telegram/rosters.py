"""Who is in a group or channel: each member's status, the bot's own rights, its invite links
and the join requests waiting for an answer; and the ChatMember objects Telegram shows."""

from __future__ import annotations

import dataclasses

from emulator.models import JSON, Group, User

# Statuses of someone who is in the chat (restricted members are, in this emulator).
IN_CHAT = frozenset({"creator", "administrator", "member", "restricted"})
STATUSES = IN_CHAT | {"left", "kicked"}


@dataclasses.dataclass
class Roster:
    """The members of one group or channel, as Telegram keeps them for the bot."""

    chat: Group
    statuses: dict[int, str] = dataclasses.field(default_factory=dict)
    users: dict[int, User] = dataclasses.field(default_factory=dict)
    until_dates: dict[int, int] = dataclasses.field(default_factory=dict)
    bot_status: str = "administrator"  # "member" without rights, "kicked" once removed
    can_invite_users: bool = True
    can_restrict_members: bool = True
    invite_links: dict[str, JSON] = dataclasses.field(default_factory=dict)
    # A user's latest join request: "pending", "approved" or "declined"; the link it came by.
    join_requests: dict[int, str] = dataclasses.field(default_factory=dict)
    join_links: dict[int, JSON | None] = dataclasses.field(default_factory=dict)

    def status(self, user_id: int) -> str:
        return self.statuses.get(user_id, "left")

    def creator_id(self) -> int | None:
        return next((uid for uid, status in self.statuses.items() if status == "creator"), None)

    def bot_may(self, right: str) -> bool:
        """Whether the bot is an administrator with this right ("can_invite_users", ...)."""
        return self.bot_status == "administrator" and bool(getattr(self, right))

    def member(self, user: JSON) -> JSON:
        """The ChatMember object of a user (not the bot) as it is now."""
        status = self.status(user["id"])
        if status == "creator":
            return {"status": status, "user": user, "is_anonymous": False}
        if status == "administrator":
            return {"status": status, "user": user, **admin_rights(self.chat, all_rights=True)}
        if status == "restricted":
            return restricted_member(user)
        if status == "kicked":
            until_date = self.until_dates.get(user["id"], 0)
            return {"status": status, "user": user, "until_date": until_date}
        return {"status": status, "user": user}

    def bot_member(self, bot_user: JSON) -> JSON:
        """The ChatMember object of the bot itself, with its rights."""
        if self.bot_status != "administrator":
            return {"status": self.bot_status, "user": bot_user}
        rights = admin_rights(self.chat, all_rights=False)
        rights.update(
            can_invite_users=self.can_invite_users,
            can_restrict_members=self.can_restrict_members,
        )
        return {"status": "administrator", "user": bot_user, **rights}


def admin_rights(chat: Group, *, all_rights: bool) -> JSON:
    """The rights fields of ChatMemberAdministrator; the bot gets the ones bots usually get,
    a human administrator every right but promoting others."""
    rights: JSON = {
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": all_rights,
        "can_edit_stories": all_rights,
        "can_delete_stories": all_rights,
        "can_send_welcome_messages": False,  # newer than the spec: aiogram 3.31 requires it
    }
    if chat.type == "channel":
        rights.update(can_post_messages=True, can_edit_messages=True)
    else:
        rights.update(can_pin_messages=True)
    return rights


def restricted_member(user: JSON) -> JSON:
    """ChatMemberRestricted: in the chat, every permission kept, restricted forever."""
    permissions = [
        "can_send_messages",
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_send_polls",
        "can_send_other_messages",
        "can_add_web_page_previews",
        "can_change_info",
        "can_invite_users",
        "can_pin_messages",
        "can_manage_topics",
        "can_react_to_messages",  # these two are newer than the spec: aiogram 3.31 requires them
        "can_edit_tag",
    ]
    return {
        "status": "restricted",
        "user": user,
        "is_member": True,
        **dict.fromkeys(permissions, True),
        "until_date": 0,
    }
