"""The bot made an administrator of a group or channel: the admins learn its id for the
catalog's `chats`, and what it still needs there."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.limits import shorten
from bot.texts.access import TITLE_LIMIT
from bot.texts.common import code

__all__ = ["admin_bot_made_admin"]

KEYS_LIMIT = 300  # characters of key names: a catalog may give one chat to many keys


def admin_bot_made_admin(
    chat_id: int,
    title: str | None,
    chat_type: str,
    *,
    missing: Sequence[str],
    keys: Sequence[str],
    by: str | None,
) -> str:
    """To every admin: the chat's title, type and id to copy; whether the catalog sells it
    (`keys`) or how to; `missing`: the rights the bot lacks there, as a person finds them."""
    name = f" <b>{escape(shorten(title, TITLE_LIMIT))}</b>" if title else ""
    who = f" by {escape(shorten(by, TITLE_LIMIT))}" if by else ""
    lines = [
        f"The bot was made an administrator of the {chat_type}{name}{who}.",
        f"Its id: {code(str(chat_id))}",
    ]
    if keys:
        names = escape(shorten(", ".join(keys), KEYS_LIMIT))
        lines.append(f"The catalog sells access to it already, with the key(s) {names}.")
    elif chat_type != "group":
        lines.append(f"Put it in a key's {code('chats')} in the catalog to sell access to it.")
    if chat_type == "group":
        lines.append(
            "Only a supergroup's membership can be sold: convert this basic group first "
            '(Telegram does when you set "Chat history for new members" to visible). Its id '
            "changes then: send /id there for the new one."
        )
    if missing:
        lines.append(
            "The bot still lacks the right to " + " and to ".join(missing) + ": give it in the "
            "chat's administrator settings" + (", until then buyers cannot join." if keys else ".")
        )
    elif keys:
        lines.append("The bot has both rights it needs there now: buyers can join.")
    else:
        lines.append("The bot has both rights it needs there.")
    return "\n".join(lines)
