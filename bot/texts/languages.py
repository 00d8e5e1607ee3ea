"""/language, and the shop's own texts that its owner may replace per language."""

from __future__ import annotations

from bot.i18n import speaking, t

__all__ = [
    "default_paysupport_text",
    "default_terms_text",
    "language_chosen",
    "language_name",
    "language_prompt",
    "language_unknown_alert",
]


def language_prompt() -> str:
    return t("languages-choose")


def language_name(language: str) -> str:
    """Plain text: `language`'s own name for itself (its button)."""
    with speaking(language):
        return t("languages-name")


def language_chosen() -> str:
    """In the language just chosen."""
    return t("languages-chosen")


def language_unknown_alert() -> str:
    return t("languages-unknown-alert")


def default_paysupport_text() -> str:
    """Plain text: /paysupport's, unless PAYSUPPORT_TEXT gives the shop's own."""
    return t("owner-paysupport-text")


def default_terms_text() -> str:
    """Plain text: /terms's, unless TERMS_TEXT gives the shop's own."""
    return t("owner-terms-text")
