"""Keeping secrets out of text: the bot token, any URL path that holds a token, and the payload
secrets. Used where aiogram's errors are made, on every log record, and by
`bot.telegram.failures.describe_failure` for every error text the bot stores or shows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

REDACTED = "<redacted>"
# The Bot API's URL paths: /bot<token>/<method> and /file/bot<token>/<path>.
_TOKEN_PATH = re.compile(r"/bot\d+:[^/\s'\"]+")


class Redactor:
    """Replaces every occurrence of the given secrets, and any /bot<token> path, in a text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_PATH.sub(f"/bot{REDACTED}", text)

    def finds(self, text: str) -> bool:
        """Whether `text` holds anything this would replace."""
        return self(text) != text

    def add(self, secrets: Iterable[str]) -> None:
        """Replace these secrets too, from now on."""
        # As written, and as in a JSON log line (where a quote or a backslash is escaped).
        given = [
            form for s in secrets if s for form in (s, json.dumps(s, ensure_ascii=False)[1:-1])
        ]
        # Longest first, so that a secret that contains another is replaced whole.
        known = {*self._secrets, *given}
        self._secrets = sorted(known, key=len, reverse=True)


# Every secret this process was given: a bot made from settings adds them (`create_bot`). An
# error can carry a secret far from where the settings are (a proxy's page quoting a URL), so
# the step that describes failures reads them here rather than being handed them.
_known = Redactor(())


def remember_secrets(secrets: Iterable[str]) -> None:
    """Add `secrets` to those `redact_known_secrets` replaces; they are never forgotten."""
    _known.add(secrets)


def redact_known_secrets(text: str) -> str:
    """`text` without any secret this process was given, nor any /bot<token> path."""
    return _known(text)
