"""Users the bot has heard from, so that an admin can find a buyer by @username."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import KnownUser, utcnow
from storage.repositories.base import Repository, Row, insert_or_update


def normalize_username(username: str) -> str:
    """Telegram's usernames are case-insensitive and written with or without the @."""
    return username.strip().removeprefix("@").lower()


def user_row(
    user_id: int,
    username: str | None,
    full_name: str,
    language_code: str | None = None,
    *,
    now: datetime | None = None,
) -> Row:
    """A user as last seen, as a row for `remember_users`."""
    return {
        "user_id": user_id,
        "username": normalize_username(username) if username else None,
        "full_name": full_name,
        "language_code": language_code,
        "updated_at": now or utcnow(),
    }


async def remember_users(session: AsyncSession, rows: Sequence[Row]) -> list[None]:
    """Batch function for the writer: store each user's current username, name and Telegram
    language (never the language they chose, which only `choose_language` sets)."""
    # One statement may not update a row twice (PostgreSQL refuses): the last sighting wins.
    latest = list({row["user_id"]: row for row in rows}.values())
    table = KnownUser.__table__  # type: ignore[attr-defined]
    changed = ("username", "full_name", "language_code", "updated_at")
    await insert_or_update(session, table, latest, key="user_id", update=changed)
    return [None] * len(rows)


class UserRepository(Repository):
    """Users as the bot last saw them."""

    async def get(self, user_id: int) -> KnownUser | None:
        """The user as last seen, or None if they never wrote to the bot."""
        return await self.session.get(KnownUser, user_id)

    async def find_by_username(self, username: str) -> KnownUser | None:
        """The user who last had `username` (with or without @, any case) when the bot heard
        from them; None if nobody with it has written to the bot."""
        statement = (
            select(KnownUser)
            .where(KnownUser.username == normalize_username(username))
            .order_by(col(KnownUser.updated_at).desc())
            .limit(1)
        )
        return (await self.session.exec(statement)).first()

    async def languages_of(self, user_id: int) -> tuple[str | None, str | None]:
        """The language the user chose with /language and their Telegram app's language, as
        last seen; (None, None) for someone who never wrote to the bot."""
        statement = select(KnownUser.language, KnownUser.language_code).where(
            KnownUser.user_id == user_id
        )
        row = (await self.session.exec(statement)).first()
        return (row[0], row[1]) if row else (None, None)

    async def languages_of_many(
        self, user_ids: Collection[int]
    ) -> dict[int, tuple[str | None, str | None]]:
        """`languages_of` for each of `user_ids`, in one SELECT; those who never wrote to the
        bot are left out."""
        if not user_ids:
            return {}
        statement = select(KnownUser.user_id, KnownUser.language, KnownUser.language_code).where(
            col(KnownUser.user_id).in_(sorted(set(user_ids)))
        )
        rows = (await self.session.exec(statement)).all()
        return {user_id: (chosen, code) for user_id, chosen, code in rows}

    async def chosen_languages(self) -> dict[int, str]:
        """The language of each user who chose one with /language."""
        statement = select(KnownUser.user_id, KnownUser.language).where(
            col(KnownUser.language).is_not(None)
        )
        rows = await self.session.exec(statement)
        return {user_id: language for user_id, language in rows if language is not None}

    async def choose_language(self, row: Row, language: str) -> None:
        """Store the language the user (a `user_row`) chose, and who they are, in one
        statement whether or not the bot stored them before."""
        table = KnownUser.__table__  # type: ignore[attr-defined]
        changed = ("username", "full_name", "language_code", "updated_at", "language")
        await insert_or_update(
            self.session, table, {**row, "language": language}, key="user_id", update=changed
        )
