"""The languages the bot speaks: a folder of Fluent files (`.ftl`) per language, named by its
language code, with the same messages in each (`make check-locales`). Reading which there are
imports nothing heavy, so that the settings can check DEFAULT_LANGUAGE in any command."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["LOCALES", "SOURCE_LANGUAGE", "choose_language", "offered_languages"]

LOCALES = Path(__file__).parent
SOURCE_LANGUAGE = "en"  # every message exists in it first; the others translate it


@cache
def offered_languages() -> tuple[str, ...]:
    """The languages the bot has messages in, the source language first."""
    found = {path.parent.name for path in LOCALES.glob("*/*.ftl")}
    return (SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE}))


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
