"""The process's way to its database: one writer, read connections, and named locks."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import SessionFactory, create_engine, create_session_factory
from storage.locks import Locks
from storage.writer import Writer


class Database:
    """Every write goes through `writer` (group commit on one connection); look-ups that must
    never wait for a writer use `readers`; `locks` put steps that must not overlap, in this
    process or (PostgreSQL) another one, one after the other.

    Opening connects nothing yet; `start` starts the writer, `close` commits what was
    submitted and lets every connection go.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine = create_engine(url)
        self._read_engine: AsyncEngine = create_engine(url, read_only=True)
        self.writer = Writer(create_session_factory(self._engine))
        self.readers: SessionFactory = create_session_factory(self._read_engine)
        self.locks = Locks(url)

    def start(self) -> None:
        self.writer.start()

    async def close(self) -> None:
        await self.writer.stop()
        await self.locks.close()
        await self._engine.dispose()
        await self._read_engine.dispose()
