"""The languages the bot speaks: Fluent messages under `bot/locales/<language>/`, rendered by
aiogram-i18n.

Python holds message ids and arguments, never sentences: `t("shop-head")`,
`t("refunds-done", amount=40, title=title)`. A message is rendered in the language of the
update being handled (`I18nMiddleware`, with `bot.services.languages.UserLanguages` choosing
it), or in the one `speaking(language)` names: a message queued for someone else is in the
recipient's language. Outside both, the source language, English.

Arguments: HTML is escaped by the caller (the messages hold Telegram's HTML tags); counts and
amounts are ints, which Fluent writes in the language's form (1,500 / 1 500) and picks plurals
by; ids (users, chats, charges) are strs, so that they are never grouped; moments are aware
datetimes, written with `DATETIME()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from aiogram_i18n import I18nContext
from aiogram_i18n.cores import FluentRuntimeCore
from aiogram_i18n.managers import BaseManager

__all__ = [
    "LOCALES",
    "SOURCE_LANGUAGE",
    "choose_language",
    "current_language",
    "fluent_core",
    "offered_languages",
    "speaking",
    "t",
]

LOCALES = Path(__file__).with_name("locales")
SOURCE_LANGUAGE = "en"  # every message exists in it first; the others translate it


@cache
def fluent_core() -> FluentRuntimeCore:
    """Every language's messages, loaded once per process: they are part of the package."""
    core = FluentRuntimeCore(LOCALES, default_locale=SOURCE_LANGUAGE, use_td=False)
    core.locales.update(core.find_locales())
    return core


def offered_languages() -> tuple[str, ...]:
    """The languages the bot has messages in, the source language first."""
    others = sorted(set(fluent_core().available_locales) - {SOURCE_LANGUAGE})
    return (SOURCE_LANGUAGE, *others)


def choose_language(
    chosen: str | None, language_code: str | None, offered: tuple[str, ...], default: str
) -> str:
    """The first of: the language a user chose with /language, their Telegram language by its
    primary subtag (`ru-RU` is `ru`), and `default`, that the bot offers."""
    telegram = (language_code or "").split("-")[0].lower()
    for language in (chosen, telegram):
        if language and language in offered:
            return language
    return default


def current_language() -> str:
    context = I18nContext.get_current(no_error=True)
    return context.locale if context is not None else SOURCE_LANGUAGE


def t(message_id: str, /, **args: Any) -> str:
    """Message `message_id` in the current language (see the module's docstring)."""
    return fluent_core().get(message_id, current_language(), **args)


class _Fixed(BaseManager):
    """The manager of a context `speaking` opens: one language, which only /language (in an
    update's own context) changes."""

    async def get_locale(self, *args: Any, **kwargs: Any) -> str:
        return self.default_locale or SOURCE_LANGUAGE

    async def set_locale(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a message's language is changed by /language only")


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Messages rendered inside are in `language` (for a recipient other than the user whose
    update this is, or outside any update)."""
    context = I18nContext(locale=language, core=fluent_core(), manager=_Fixed(language), data={})
    token = I18nContext.set_current(context)
    try:
        yield
    finally:
        I18nContext.reset_current(token)
