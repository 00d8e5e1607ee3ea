"""Private groups and channels: the Join buttons, a join request from someone without the key,
and what the set-up checks find."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.catalog import Product
from bot.limits import fit_message, shorten
from bot.texts.common import product_line

__all__ = [
    "CHAT_UNAVAILABLE",
    "admin_access_setup",
    "admin_chat_lost",
    "join_button",
    "join_refused",
]

# A chat's title as a button label, or in a line: Telegram allows 128 characters.
TITLE_LIMIT = 40
# The pre-checkout refusal of a product whose chat the bot cannot manage (plain text).
CHAT_UNAVAILABLE = (
    "This gives access to a private chat that the shop cannot let you into right now, so "
    "nothing was charged. Please try again later; the admins have been told."
)


def join_button(title: str) -> str:
    """Plain text (buttons take no HTML)."""
    return f"Join {shorten(title, TITLE_LIMIT)}"


def join_refused(title: str, products: Sequence[Product]) -> str:
    """To someone who asked to join a chat without holding a key for it."""
    head = (
        f"To join <b>{escape(shorten(title, TITLE_LIMIT))}</b> you need one of these first. "
        "Press a button for an invoice; once you have paid, use the Join button you get "
        "(or ask to join again):\n\n"
    )
    if not products:
        return f"<b>{escape(shorten(title, TITLE_LIMIT))}</b> is not open to new members now."
    return fit_message(head, [product_line(p) for p in products])


def admin_access_setup(problems: Sequence[str]) -> str:
    """At start: the private chats the bot cannot manage, one line per missing right."""
    head = (
        "Private chats the bot cannot manage; it refuses to sell access to them until this "
        "is fixed (make the bot an administrator with the right to invite users and to ban "
        "users, then restart it):\n"
    )
    return fit_message(head, [f"✗ {escape(line)}" for line in problems])


def admin_chat_lost(chat_id: int, title: str | None, error: str) -> str:
    """A chat the bot can no longer remove members from: gone, or the bot was removed."""
    name = f"{escape(shorten(title, TITLE_LIMIT))} ({chat_id})" if title else str(chat_id)
    return (
        f"The bot can no longer remove members from {name}: {escape(shorten(error, 200))}. "
        "Members whose access ended there were not removed; the removals owed are parked. "
        "Add the bot back as an administrator, or remove the chat from the catalog."
    )
