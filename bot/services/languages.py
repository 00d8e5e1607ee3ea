"""Which language the bot speaks to whom: the language of a user's update, /language's choice
kept in the `users` table, and the language of someone a message is queued for. aiogram-i18n
reaches it through `bot.middlewares.language.LanguageManager`; this module imports no aiogram, so
that the operator commands stay quick.

A user's language is the first that the bot offers of: the one they chose with /language, their
Telegram app's language by its primary subtag (`ru-RU` is `ru`), and DEFAULT_LANGUAGE.

Few users choose: the process reads every choice once, with its first update, and keeps them in
memory, so that no update waits for a read (a pre-checkout query has 10 seconds, in a crowd).
A choice made through another process (several processes on one PostgreSQL) is seen by this
one once it restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import speaking
from bot.locales import choose_language, offered_languages
from storage import SessionFactory, Writer
from storage.repositories import Row, UserRepository

T = TypeVar("T")


class Recipients:
    """The languages of the people messages are being queued for (read by
    `UserLanguages.of_many`), to render each one's message in theirs."""

    def __init__(self, languages: Mapping[int, str], default: str) -> None:
        self._languages = dict(languages)
        self._default = default

    def language_of(self, user_id: int) -> str:
        return self._languages.get(user_id, self._default)

    def render(self, user_id: int, render: Callable[[], T]) -> T:
        """What `render` makes (a text, a keyboard, an outbox row) in `user_id`'s language."""
        with speaking(self.language_of(user_id)):
            return render()


class UserLanguages:
    """Chooses each update's language, and keeps what users choose with /language."""

    def __init__(self, writer: Writer, readers: SessionFactory, default: str) -> None:
        self.default = default
        self._writer = writer
        self._readers = readers
        self._chosen: dict[int, str] | None = None  # read with the first update
        self._reading = asyncio.Lock()
        self.offered = offered_languages()

    async def of_update(self, user_id: int | None, language_code: str | None) -> str:
        """The language of an update from `user_id`, whose app is in `language_code`; the
        default for an update from no one."""
        if user_id is None:
            return self.default
        chosen = (await self._choices()).get(user_id)
        return choose_language(chosen, language_code, self.offered, self.default)

    async def choose(self, row: Row, language: str) -> None:
        """Keep `language`, chosen with /language by the user of `row` (a `user_row`), for
        every later message to them."""

        async def store(session: AsyncSession) -> None:
            await UserRepository(session).choose_language(row, language)

        await self._writer.write(store)
        (await self._choices())[row["user_id"]] = language

    async def of(self, session: AsyncSession, user_id: int) -> str:
        """The language of `user_id` for a message queued for them now, read in `session` (the
        transaction that queues it)."""
        chosen, language_code = await UserRepository(session).languages_of(user_id)
        return choose_language(chosen, language_code, self.offered, self.default)

    async def of_many(self, session: AsyncSession, user_ids: Collection[int]) -> Recipients:
        """The languages of all of `user_ids` (all the admins, the buyers of a batch), read in
        one SELECT in `session`, the transaction that queues their messages."""
        found = await UserRepository(session).languages_of_many(user_ids)
        return Recipients(
            {
                user_id: choose_language(chosen, code, self.offered, self.default)
                for user_id, (chosen, code) in found.items()
            },
            self.default,
        )

    async def in_language_of(
        self, session: AsyncSession, user_id: int, render: Callable[[], T]
    ) -> T:
        """What `render` makes (a text, a keyboard, outbox rows) in the language of `user_id`,
        the one it is queued for, read in `session`."""
        with self.speaking_to(await self.of(session, user_id)):
            return render()

    @contextmanager
    def speaking_to(self, language: str | None) -> Iterator[None]:
        """Texts rendered inside are in `language`, or in the default one."""
        with speaking(language if language in self.offered else self.default):
            yield

    async def _choices(self) -> dict[int, str]:
        if self._chosen is not None:
            return self._chosen
        async with self._reading:
            if self._chosen is None:
                try:
                    async with self._readers() as session:
                        self._chosen = await UserRepository(session).chosen_languages()
                except Exception as exc:  # the language never costs an update: the app's now
                    logger.warning("could not read the languages users chose: {!r}", exc)
                    return {}
        return self._chosen
