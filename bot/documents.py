"""Sends the catalog's files: uploaded from disk once, then by the `file_id` Telegram gave.

The `file_id` is remembered in the database (`uploaded_files`), keyed by the file's path and the
sha256 of its content, so that a changed file is uploaded again. A `file_id` Telegram refuses
is forgotten and the file uploaded again, in the same attempt. Hashing a big file happens in a
thread, once per (path, size, mtime): the event loop never reads a file.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import FSInputFile, InlineKeyboardMarkup, Message
from loguru import logger

from storage import OutboxMessage, Writer
from storage.repositories import TelegramFileRepository

# What Telegram answers (400) to a file_id it does not know (any more).
REFUSED_FILE_ID = "wrong file identifier"
HASH_CHUNK = 1024 * 1024


class MissingFile(Exception):
    """A catalog file that is not on disk (any more) when it is to be sent."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"file {path} cannot be read: {reason}")
        self.path = path


def _sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileHashes:
    """The sha256 of files, computed in a thread and kept while the file's size and mtime stay
    the same."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[int, int, str]] = {}

    async def sha256(self, path: str) -> str:
        """The content hash of `path`; raises MissingFile when it cannot be read."""
        try:
            stat = os.stat(path)
            known = self._known.get(path)
            if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
                return known[2]
            digest = await asyncio.to_thread(_sha256_of, path)
        except OSError as exc:
            raise MissingFile(path, exc.strerror or type(exc).__name__) from None
        self._known[path] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest


class DocumentSender:
    """Sends an outbox row's document (sendDocument), reusing the file's `file_id`."""

    def __init__(self, bot: Bot, writer: Writer) -> None:
        self._bot = bot
        self._writer = writer
        self._hashes = FileHashes()
        self._file_ids: dict[tuple[str, str], str] = {}  # (path, sha256): what the database has

    async def send(self, message: OutboxMessage, markup: InlineKeyboardMarkup | None) -> None:
        """Send `message.document` to `message.chat_id`; raises MissingFile for a file gone
        from disk, and what sendDocument raises otherwise."""
        assert message.document is not None
        path = message.document
        sha256 = await self._hashes.sha256(path)
        file_id = await self._file_id(path, sha256)
        if file_id is not None:
            try:
                await self._send(message, file_id, markup)
                return
            except TelegramBadRequest as exc:
                if REFUSED_FILE_ID not in exc.message.lower():
                    raise
                logger.warning("outbox: Telegram refused the file_id of {}, uploading again", path)
                await self._forget(path, sha256)
        sent = await self._send(message, FSInputFile(path, filename=Path(path).name), markup)
        if sent.document is not None:
            await self._remember(path, sha256, sent.document.file_id)
            logger.info("outbox: uploaded {} ({} bytes)", path, sent.document.file_size)

    async def _send(
        self,
        message: OutboxMessage,
        document: str | FSInputFile,
        markup: InlineKeyboardMarkup | None,
    ) -> Message:
        return await self._bot.send_document(
            message.chat_id,
            document,
            caption=message.text or None,
            reply_markup=markup,
            protect_content=message.protect_content or None,
        )

    async def _file_id(self, path: str, sha256: str) -> str | None:
        cached = self._file_ids.get((path, sha256))
        if cached is None:
            cached = await self._writer.write(
                lambda s: TelegramFileRepository(s).file_id(path, sha256)
            )
            if cached is not None:
                self._file_ids[(path, sha256)] = cached
        return cached

    async def _remember(self, path: str, sha256: str, file_id: str) -> None:
        self._file_ids[(path, sha256)] = file_id
        await self._writer.write(
            lambda s: TelegramFileRepository(s).remember(path, sha256, file_id)
        )

    async def _forget(self, path: str, sha256: str) -> None:
        self._file_ids.pop((path, sha256), None)
        await self._writer.write(lambda s: TelegramFileRepository(s).forget(path, sha256))
