"""The bot made an administrator of a group or channel: the admins learn its id for the
catalog's `chats`, and what it still needs there."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.i18n import t
from bot.limits import shorten
from bot.outcomes import ChatRight
from bot.texts.access import TITLE_LIMIT, chat_right
from bot.texts.common import code

__all__ = ["admin_bot_made_admin"]

KEYS_LIMIT = 300  # characters of key names: a catalog may give one chat to many keys


def admin_bot_made_admin(
    chat_id: int,
    title: str | None,
    chat_type: str,
    *,
    missing: Sequence[ChatRight],
    keys: Sequence[str],
    by: str | None,
) -> str:
    """To every admin: the chat's title, type and id to copy; whether the catalog sells it
    (`keys`) or how to; `missing`: the rights the bot lacks there."""
    name = t("chat-admin-title", title=escape(shorten(title, TITLE_LIMIT))) if title else ""
    who = t("chat-admin-by", by=escape(shorten(by, TITLE_LIMIT))) if by else ""
    lines = [
        t("chat-admin-made-admin", type=chat_type, title=name, by=who),
        t("chat-admin-id", chat=code(str(chat_id))),
    ]
    if keys:
        names = escape(shorten(", ".join(keys), KEYS_LIMIT))
        lines.append(t("chat-admin-sold", count=len(keys), keys=names))
    elif chat_type != "group":
        lines.append(t("chat-admin-how-to-sell"))
    if chat_type == "group":
        lines.append(t("chat-admin-basic-group"))
    if missing:
        named = [chat_right(right) for right in missing]
        rights = named[0]
        for right in named[1:]:
            rights = t("chat-admin-right-and", rights=rights, right=right)
        if keys:
            lines.append(t("chat-admin-lacks-sold", rights=rights))
        else:
            lines.append(t("chat-admin-lacks", rights=rights))
    elif keys:
        lines.append(t("chat-admin-rights-given-sold"))
    else:
        lines.append(t("chat-admin-rights-given"))
    return "\n".join(lines)
