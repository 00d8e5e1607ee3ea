"""/id: the numbers a shop owner copies into the settings and the catalog."""

from __future__ import annotations

from bot.i18n import t
from bot.texts.common import code

__all__ = ["ids_answer"]


def ids_answer(
    user_id: int | None, chat_id: int | None, *, supergroup: bool, managed: bool
) -> str:
    """Your id, for ADMIN_IDS (None: you wrote as a group or channel); in a group, the group's
    (None in a private chat), for the catalog's `chats`, which take supergroups only."""
    yours = t("ids-user", user=code(str(user_id))) if user_id is not None else t("ids-as-group")
    if chat_id is None:
        return yours
    if managed:
        group = t("ids-group-sold", chat=code(str(chat_id)))
    elif supergroup:
        group = t("ids-supergroup", chat=code(str(chat_id)))
    else:
        group = t("ids-basic-group", chat=code(str(chat_id)))
    return f"{yours}\n\n{group}"
