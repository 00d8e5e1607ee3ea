"""The operator's commands of `python -m bot`: check, export, stats and status (see
`bot.__main__`).

Export and stats read the database only, and need no token: they take OfflineSettings (the
database and the catalog). Nothing here imports aiogram until `check` asks Telegram.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from bot import texts
from bot.catalog import Catalog, CatalogError, load_catalog
from bot.config import ConfigError, load_database_settings, load_offline_settings
from bot.progress import ProgressBar
from bot.services.exports import ExportRangeError, count_charges, day_bounds, write_csv
from bot.services.sales import sales_figures
from storage import SessionFactory
from storage.db import DatabaseNotFound, read_only_sessions
from storage.locks import active_holder
from storage.migrate import read_schema_state
from storage.reports import backlogs

EXIT_FAILED = 1
EXIT_CONFIG = 2
STDOUT = "-"
# A bar for fewer rows would flash by.
PROGRESS_MIN_ROWS = 1000


def check(_: argparse.Namespace) -> int:
    # aiogram takes seconds to import: only this command of the three needs it.
    from bot.readiness import check_readiness

    checks = asyncio.run(check_readiness())
    for finding in checks:
        print(finding.line())
    return 0 if all(finding.ok for finding in checks) else EXIT_FAILED


def day(text: str) -> date:
    """An argparse type: a UTC day as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def export(args: argparse.Namespace) -> int:
    try:
        settings = load_offline_settings()
        since, until = day_bounds(args.since, args.until)
    except (ConfigError, ExportRangeError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    target: str = args.file
    try:
        rows = asyncio.run(_export(settings.database_url, target, since, until))
    except DatabaseNotFound as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except (SQLAlchemyError, OSError) as exc:
        print(f"the export failed: {_first_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    if target != STDOUT:
        print(f"{rows} payment(s) written to {target}", file=sys.stderr)
    return 0


async def _export(url: str, target: str, since: datetime | None, until: datetime | None) -> int:
    async with read_only_sessions(url) as readers:
        total = await count_charges(readers, since, until)
        bar = ProgressBar.on_terminal(
            total, sys.stderr, minimum=PROGRESS_MIN_ROWS, unit="payments"
        )
        on_row = bar.advance if bar else None
        if target == STDOUT:
            rows = await write_csv(readers, sys.stdout, since, until, on_row=on_row)
        else:
            rows = await _export_to_file(readers, Path(target), since, until, on_row)
        if bar:
            bar.finish()
    return rows


async def _export_to_file(
    readers: SessionFactory,
    path: Path,
    since: datetime | None,
    until: datetime | None,
    on_row: Callable[[], None] | None,
) -> int:
    """Into a temporary file beside `path`, renamed to it once complete: a failed export
    leaves no half file behind."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            rows = await write_csv(readers, out, since, until, on_row=on_row)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def stats(_: argparse.Namespace) -> int:
    try:
        settings = load_offline_settings()
        catalog = load_catalog(settings.catalog_path)
    except (ConfigError, CatalogError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    try:
        report = asyncio.run(_stats(settings.database_url, catalog))
    except DatabaseNotFound as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except (SQLAlchemyError, OSError) as exc:
        print(f"cannot read the database: {_first_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    _print(report, sys.stdout)
    return 0


async def _stats(url: str, catalog: Catalog) -> str:
    async with read_only_sessions(url) as readers:
        figures = await sales_figures(readers, catalog)
    return texts.plain(texts.sales_report(figures))


def _print(text: str, out: TextIO) -> None:
    out.write(text.rstrip("\n") + "\n")


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def status(_: argparse.Namespace) -> int:
    try:
        settings = load_database_settings()
        lines = asyncio.run(_status(settings.database_url))
    except (ConfigError, DatabaseNotFound) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except SQLAlchemyError as exc:
        print(f"cannot read the database: {_first_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print("\n".join(lines))
    return 0


async def _status(url: str) -> list[str]:
    """Who polls, the schema version, and what waits in the inbox and the outbox."""
    holder = await active_holder(url)
    schema = await read_schema_state(url)
    async with read_only_sessions(url) as readers, readers() as session:
        waiting = await backlogs(session)
    if schema.is_current:
        version = f"{schema.current} (current)"
    else:
        version = f"{schema.current or 'none'} (this release's is {schema.head}: the bot upgrades"
        version += " it at start, or run python -m bot migrate)"
    return [
        f"active poller: {holder or 'none (no bot process polls Telegram for this database)'}",
        f"schema version: {version}",
        f"inbox: {waiting.inbox_waiting} update(s) waiting, "
        f"{waiting.inbox_parked} parked as failed",
        f"outbox: {waiting.outbox_unsent} message(s) unsent, {waiting.outbox_given_up} given up",
    ]
