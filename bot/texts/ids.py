"""/id: the numbers a shop owner copies into the settings and the catalog."""

from __future__ import annotations

from bot.texts.common import code

__all__ = ["ids_answer"]


def ids_answer(
    user_id: int | None, chat_id: int | None, *, supergroup: bool, managed: bool
) -> str:
    """Your id, for ADMIN_IDS (None: you wrote as a group or channel); in a group, the group's
    (None in a private chat), for the catalog's `chats`, which take supergroups only."""
    lines: list[str] = []
    if user_id is not None:
        lines += [
            f"Your user id: {code(str(user_id))}",
            "If you run this bot, put it in ADMIN_IDS to be one of its admins.",
        ]
    else:
        lines.append("You wrote as the group; send /id to me in a private chat for your own id.")
    if chat_id is None:
        return "\n".join(lines)
    lines.append(f"\nThis group's id: {code(str(chat_id))}")
    if managed:
        lines.append("The catalog sells membership of this group already (a key's chats).")
    elif supergroup:
        lines.append("To sell membership of it, put it in a key's chats = [...] in the catalog.")
    else:
        lines.append(
            "Only a supergroup's membership can be sold. Telegram turns this group into one "
            'when you set "Chat history for new members" to visible; its id changes then, so '
            "send /id again."
        )
    return "\n".join(lines)
