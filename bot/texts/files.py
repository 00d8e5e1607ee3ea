"""What a key delivers, and its "Send my files again" button under /mypurchases."""

from __future__ import annotations

from html import escape

from bot.limits import MESSAGE_LIMIT, shorten

__all__ = [
    "FILES_NOTHING",
    "FILES_NOT_HELD",
    "FILES_QUEUED",
    "FILES_TOO_SOON",
    "key_text",
    "resend_button",
]


def key_text(text: str) -> str:
    """A key's text from the catalog, sent as the shop owner wrote it (plain text, escaped for
    the HTML parse mode, within Telegram's limit)."""
    return escape(shorten(text, MESSAGE_LIMIT), quote=False)


def resend_button(title: str) -> str:
    """Plain text (buttons take no HTML)."""
    return f"📎 Send my files again: {title}"


# Answers to the button, shown as alerts: plain text, at most 200 characters.
FILES_QUEUED = "Sending your files again now."
FILES_TOO_SOON = "Your files were sent again less than a minute ago. Please wait a minute."
FILES_NOT_HELD = (
    "This purchase has ended, so I cannot send its files again. See /shop to buy it again."
)
FILES_NOTHING = "This purchase has no files to send any more. Write /paysupport if you miss one."
