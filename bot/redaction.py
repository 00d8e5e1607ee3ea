"""Keeping secrets out of text: the bot token, any URL path that holds a token, and the payload
secrets. Used where aiogram's errors are made and again on every log record."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "<redacted>"
# The Bot API's URL paths: /bot<token>/<method> and /file/bot<token>/<path>.
_TOKEN_PATH = re.compile(r"/bot\d+:[^/\s'\"]+")


class Redactor:
    """Replaces every occurrence of the given secrets, and any /bot<token> path, in a text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so that a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_PATH.sub(f"/bot{REDACTED}", text)

    def finds(self, text: str) -> bool:
        """Whether `text` holds anything this would replace."""
        return self(text) != text
