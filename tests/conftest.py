"""Shared fixtures: a temporary SQLite file per test, and (in e2e) the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import (
    SessionFactory,
    Writer,
    create_engine,
    create_schema,
    create_session_factory,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
def database_url(db_path: Path) -> str:
    return f"sqlite+aiosqlite:///{db_path}"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(database_url)
    await create_schema(engine)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def writer(sessions: SessionFactory) -> AsyncIterator[Writer]:
    """The group-commit writer over the test's database, running."""
    running = Writer(sessions)
    running.start()
    yield running
    await running.stop()
