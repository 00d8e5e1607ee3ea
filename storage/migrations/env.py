"""Alembic's environment: run the revisions in versions/ on a connection to the shop's database.

The bot calls this through `storage.migrate.upgrade_schema`, which passes its own connection
(already inside the transaction that holds the migration lock) in `config.attributes`. Run from
Alembic's command line (`alembic revision --autogenerate`, `alembic check`, see alembic.ini), it
connects to DATABASE_URL itself.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from storage import models
from storage.db import create_engine


def run_on(connection: Connection) -> None:
    """Run the revisions the database does not have yet on `connection`."""
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite alters a table by copying it; batch mode does that for every ALTER.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_type,
    )
    with context.begin_transaction():
        context.run_migrations()


def render_type(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Spell our column types in plain SQLAlchemy, so a generated revision needs no app import."""
    if kind != "type":
        return False
    if isinstance(item, AutoString):
        return "sa.String()"
    if isinstance(item, models.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


async def run_on_database_url() -> None:
    """Alembic's command line: connect to DATABASE_URL and run there."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to the database Alembic should compare or migrate")
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them on a database")
connection = context.config.attributes.get("connection")
if connection is None:
    asyncio.run(run_on_database_url())
else:
    run_on(connection)
