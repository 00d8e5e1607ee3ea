"""The catalog's files as Telegram knows them: the `file_id` each upload got, by the file's
path and the sha256 of its content, so that a file is uploaded once and a changed one again."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col, select

from storage.goods import TelegramFile
from storage.models import utcnow
from storage.repositories.base import Repository, insert_statement


class TelegramFileRepository(Repository):
    """Remembered `file_id`s of uploaded files."""

    async def file_id(self, path: str, sha256: str) -> str | None:
        """The file_id of this content at `path`, if it was uploaded before."""
        statement = select(TelegramFile.file_id).where(
            col(TelegramFile.path) == path, col(TelegramFile.sha256) == sha256
        )
        return (await self.session.exec(statement)).first()

    async def remember(self, path: str, sha256: str, file_id: str) -> None:
        """Telegram gave this content at `path` the id `file_id`; a later upload of the same
        content (one that raced this one, or the one after a refusal) replaces it."""
        table = TelegramFile.__table__  # type: ignore[attr-defined]
        values = {"path": path, "sha256": sha256, "file_id": file_id, "uploaded_at": utcnow()}
        statement = insert_statement(self.session, table).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.path, table.c.sha256],
            set_={"file_id": file_id, "uploaded_at": values["uploaded_at"]},
        )
        await self.session.exec(statement)

    async def forget(self, path: str, sha256: str) -> None:
        """Telegram refused the remembered file_id: the file is uploaded again next time."""
        statement = delete(TelegramFile).where(
            col(TelegramFile.path) == path, col(TelegramFile.sha256) == sha256
        )
        await self.session.exec(statement)
