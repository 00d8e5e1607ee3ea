"""What every repository shares: the session it works in, reading one row, and inserts that
treat "already there" as a normal outcome (the database enforces uniqueness, see STYLE.md)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Table
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

Model = TypeVar("Model", bound=SQLModel)

# A table row as a plain dict, for Core inserts of many at once: building one costs a fraction
# of a model object, which matters on the payment path.
Row = dict[str, Any]


class Repository:
    """Adds and queries in the caller's session; the service that owns the step commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


async def first_where(
    session: AsyncSession,
    model: type[Model],
    *conditions: ColumnElement[bool] | bool,
    fresh: bool = False,
) -> Model | None:
    """The first row of `model` that meets `conditions`, or None. `fresh` reads it from the
    database even if the session holds it already: an earlier write in this transaction may
    have changed the row behind the session's back (a Core UPDATE or an upsert)."""
    statement = select(model).where(*conditions)
    if fresh:
        statement = statement.execution_options(populate_existing=True)
    return (await session.exec(statement)).first()


def insert_statement(session: AsyncSession, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike).
    The dialect module is loaded when first used: a bot on SQLite never loads PostgreSQL's."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(table)


async def insert_ignoring_conflict(session: AsyncSession, row: SQLModel) -> bool:
    """Insert `row`; False if a unique constraint says it is already there (a normal outcome)."""
    table = type(row).__table__  # type: ignore[attr-defined]
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if getattr(row, column.name) is not None
    }
    statement = insert_statement(session, table).values(**values).on_conflict_do_nothing()
    result = await session.exec(statement)
    return bool(result.rowcount)


async def insert_many_ignoring_conflict(
    session: AsyncSession, table: Table, rows: Sequence[Row], *returning: Column[Any]
) -> list[tuple[Any, ...]]:
    """Insert `rows` in one statement; returns the `returning` columns of those that were new
    (the others hit a unique constraint, a normal outcome)."""
    if not rows:
        return []
    statement = insert_statement(session, table).on_conflict_do_nothing().returning(*returning)
    result = await session.exec(statement, params=list(rows))
    return [tuple(row) for row in result.all()]


async def insert_or_update(
    session: AsyncSession, table: Table, rows: Row | Sequence[Row], key: str, update: Iterable[str]
) -> None:
    """Insert `rows` in one statement; a row whose `key` is there already gets the new values of
    the `update` columns instead. One statement whether or not the rows exist yet: never
    select-then-insert. A statement may not update one row twice (PostgreSQL refuses)."""
    statement = insert_statement(session, table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: statement.excluded[name] for name in update},
    )
    await session.exec(statement)
