"""What the preview page shows, as JSON: the people, one person's chat with the bot, and the
groups and channels the bot manages, with their members and join requests."""

from __future__ import annotations

from emulator.models import JSON, User
from emulator.telegram.chats import ChatStore
from emulator.telegram.rosters import Roster


def person(user: User, admin_ids: frozenset[int]) -> JSON:
    """One of the people the page may be: a buyer, or an admin of the shop."""
    return {
        "id": user.id,
        "name": user.first_name,
        "username": user.username,
        "language_code": user.language_code,
        "admin": user.id in admin_ids,
    }


def private_chat(roster: Roster) -> JSON:
    """A group or channel as the page lists it; `invite_links` are the bot's live links that
    a person may use to ask to join."""
    return {
        "id": roster.chat.id,
        "title": roster.chat.title,
        "type": roster.chat.type,
        "bot_status": roster.bot_status,
        "members": [
            {"id": user_id, "name": _name(roster, user_id), "status": status}
            for user_id, status in roster.statuses.items()
        ],
        "join_requests": [
            {"id": user_id, "name": _name(roster, user_id), "state": state}
            for user_id, state in roster.join_requests.items()
        ],
        "invite_links": [
            link["invite_link"]
            for link in roster.invite_links.values()
            if not link["is_revoked"] and link["creates_join_request"]
        ],
    }


def roster_of_link(chats: ChatStore, link: str) -> Roster | None:
    """The group or channel whose invite link this is."""
    return next((r for r in chats.rosters.values() if link in r.invite_links), None)


def _name(roster: Roster, user_id: int) -> str:
    user = roster.users.get(user_id)
    return user.first_name if user else str(user_id)
