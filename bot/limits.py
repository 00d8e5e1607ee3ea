"""Fitting text to Telegram's limits.

Telegram counts a text in UTF-16 code units, after the entities of its parse mode are parsed: a
message takes 4096 of them, a button's alert 200 of plain text. Lists show what fits and say how
many more there are; what a user, an admin or Telegram wrote is shortened before it is escaped,
so that no entity is cut in half.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import unescape

from bot.i18n import t

__all__ = [
    "ALERT_LIMIT",
    "ASKED_LIMIT",
    "MESSAGE_LIMIT",
    "QUOTE_LIMIT",
    "fit_lines",
    "fit_message",
    "plain",
    "shorten",
    "utf16_len",
    "visible_length",
]

MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text, after entity parsing
ALERT_LIMIT = 200  # answerCallbackQuery: plain text (no parse mode), 0-200 characters
QUOTE_LIMIT = 300  # the most of an echoed charge id, reason or error shown
ASKED_LIMIT = 40  # the most of an unknown product id shown back
# The tags of Telegram's HTML parse mode, with any attributes.
_TAG = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|a|code|pre|blockquote|tg-emoji)"
    r"(?:\s[^<>]*)?>",
    re.IGNORECASE,
)


def utf16_len(text: str) -> int:
    """Telegram counts text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def plain(html: str) -> str:
    """The text of one of these HTML messages as a reader sees it: tags dropped, entities
    decoded. Anything else is kept as it is, so that even broken markup stays readable."""
    return unescape(_TAG.sub("", html))


def visible_length(html: str) -> int:
    """How long Telegram counts one of these HTML texts."""
    return utf16_len(plain(html))


def shorten(text: str, limit: int) -> str:
    """Plain `text` cut to `limit` UTF-16 units, "…" included. Escape after, never before, so
    that no entity is cut in half."""
    if utf16_len(text) <= limit:
        return text
    kept = text.encode("utf-16-le")[: 2 * max(limit - 1, 0)]
    return kept.decode("utf-16-le", errors="ignore") + "…"  # drops half a surrogate pair


def fit_lines(lines: Sequence[str], room: int, separator: str = "\n") -> str:
    """`lines` (whole HTML lines) joined, or if they pass `room` visible characters, the first
    ones that fit with "…and K more" (`common-and-more`, in the current language) for the rest."""
    joined = separator.join(lines)
    if visible_length(joined) <= room:
        return joined
    shown, used = 0, 0
    for line in lines:
        used += visible_length(line) + len(separator)
        if used + utf16_len(_more(len(lines) - shown - 1)) > room:
            break
        shown += 1
    return separator.join([*lines[:shown], _more(len(lines) - shown)])


def fit_message(head: str, lines: Sequence[str], tail: str = "", separator: str = "\n") -> str:
    """A message: `head`, as many of `lines` as fit before `tail`, and `tail`."""
    room = MESSAGE_LIMIT - visible_length(head) - visible_length(tail)
    return head + fit_lines(lines, room, separator) + tail


def _more(count: int) -> str:
    return t("common-and-more", count=count)
