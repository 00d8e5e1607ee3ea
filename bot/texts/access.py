"""Private groups and channels: the Join buttons, a join request from someone without the key,
and what the set-up checks find."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.catalog import Product
from bot.i18n import t
from bot.limits import fit_message, shorten
from bot.texts.common import product_line

__all__ = [
    "admin_access_setup",
    "admin_chat_lost",
    "chat_unavailable",
    "join_button",
    "join_refused",
]

# A chat's title as a button label, or in a line: Telegram allows 128 characters.
TITLE_LIMIT = 40


def chat_unavailable() -> str:
    """The pre-checkout refusal of a product whose chat the bot cannot manage (plain text)."""
    return t("access-chat-unavailable")


def join_button(title: str) -> str:
    """Plain text (buttons take no HTML)."""
    return t("access-join-button", title=shorten(title, TITLE_LIMIT))


def join_refused(title: str, products: Sequence[Product]) -> str:
    """To someone who asked to join a chat without holding a key for it."""
    title = escape(shorten(title, TITLE_LIMIT))
    if not products:
        return t("access-closed", title=title)
    head = t("access-join-refused", title=title) + "\n\n"
    return fit_message(head, [product_line(p) for p in products])


def admin_access_setup(problems: Sequence[str]) -> str:
    """At start: the private chats the bot cannot manage, one line per missing right."""
    head = t("access-setup-head") + "\n"
    return fit_message(head, [t("access-setup-problem", problem=escape(p)) for p in problems])


def admin_chat_lost(chat_id: int, title: str | None, error: str) -> str:
    """A chat the bot can no longer remove members from: gone, or the bot was removed."""
    if title:
        chat = t("access-chat-titled", title=escape(shorten(title, TITLE_LIMIT)), id=str(chat_id))
    else:
        chat = str(chat_id)
    return t("access-chat-lost", chat=chat, error=escape(shorten(error, 200)))
