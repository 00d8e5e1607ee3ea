"""What a key delivers, and its "Send my files again" button under /mypurchases."""

from __future__ import annotations

from html import escape

from bot.i18n import t
from bot.limits import MESSAGE_LIMIT, shorten

__all__ = [
    "files_not_held",
    "files_nothing",
    "files_queued",
    "files_too_soon",
    "key_text",
    "resend_button",
]


def key_text(text: str) -> str:
    """A key's text from the catalog, sent as the shop owner wrote it (plain text, escaped for
    the HTML parse mode, within Telegram's limit)."""
    return escape(shorten(text, MESSAGE_LIMIT), quote=False)


def resend_button(title: str) -> str:
    """Plain text (buttons take no HTML)."""
    return t("files-resend-button", title=title)


# Answers to the button, shown as alerts: plain text, at most 200 characters.
def files_queued() -> str:
    return t("files-queued-alert")


def files_too_soon() -> str:
    return t("files-too-soon-alert")


def files_not_held() -> str:
    return t("files-not-held-alert")


def files_nothing() -> str:
    return t("files-nothing-alert")
