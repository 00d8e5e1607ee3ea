"""The languages the bot speaks: Fluent messages under `bot/locales/<language>/`.

Python holds message ids and arguments, never sentences: `t("shop-head")`,
`t("refunds-done", amount=40, title=title)`. A message is rendered in the language of the
update being handled (aiogram-i18n's middleware, `bot.middlewares.language`, with
`bot.services.languages.UserLanguages` choosing it), or in the one `speaking(language)` names:
a message queued for someone else is in the recipient's language. Outside both, the source
language, English.

This module renders with fluent.runtime, the library aiogram-i18n's Fluent core runs on, and
imports no aiogram: the operator commands that print what the chat shows (`stats`) render the
same messages without paying for aiogram's import. The middleware serves the same bundles.

Arguments: HTML is escaped by the caller (the messages hold Telegram's HTML tags); counts and
amounts are ints, which Fluent writes in the language's form (1,500 / 1 500) and picks plurals
by; ids (users, chats, charges) are strs, so that they are never grouped; moments are aware
datetimes, written with `DATETIME()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

from bot.locales import LOCALES, SOURCE_LANGUAGE, offered_languages

__all__ = ["MessageError", "bundles", "current_language", "load_bundles", "speaking", "t"]

_language: ContextVar[str] = ContextVar("language", default=SOURCE_LANGUAGE)


class MessageError(Exception):
    """A message that cannot be rendered: an unknown id, or arguments that do not fit it
    (`make check-locales` finds both before anyone reads them)."""


@cache
def bundles() -> dict[str, FluentBundle]:
    """Every language's messages, loaded once per process: they are part of the package."""
    return load_bundles(LOCALES, offered_languages())


def load_bundles(root: Path, languages: Iterable[str]) -> dict[str, FluentBundle]:
    """The messages of each of `languages`, from the `.ftl` files in `root/<language>/`."""
    loaded = {}
    for language in languages:
        # No Unicode isolation marks around arguments: Telegram's clients lay out the text.
        bundle = FluentBundle([language], use_isolating=False)
        for path in sorted((root / language).glob("*.ftl")):
            bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
        loaded[language] = bundle
    return loaded


def current_language() -> str:
    return _language.get()


def t(message_id: str, /, **args: Any) -> str:
    """Message `message_id` in the current language (see the module's docstring); in the
    source language if the current one lacks it."""
    language = current_language()
    bundle = bundles().get(language) or bundles()[SOURCE_LANGUAGE]
    if not bundle.has_message(message_id):
        bundle = bundles()[SOURCE_LANGUAGE]
    if not bundle.has_message(message_id):
        raise MessageError(f"no message {message_id!r}")
    message = bundle.get_message(message_id)
    if message.value is None:
        raise MessageError(f"message {message_id!r} has no value")
    text, errors = bundle.format_pattern(message.value, args)
    if errors:
        raise MessageError(f"message {message_id!r} in {language!r}: {errors[0]}")
    return str(text)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Messages rendered inside are in `language` (for a recipient other than the user whose
    update this is, or outside any update)."""
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)
