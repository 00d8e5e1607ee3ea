"""The commands of `python -m bot`, each a step that returns its exit code and raises what it
cannot go on from (bot.cli.exits answers those errors, for every command in one table).

Export, stats and status read the database only, and need no token. Only `run` and `check`
talk to Telegram, so only they import aiogram, which takes seconds: not --help nor the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot import texts
from bot.catalog import Catalog, load_catalog
from bot.cli import event_loop
from bot.cli.exits import EXIT_FAILED, EXIT_OK
from bot.config import load_database_settings, load_offline_settings, load_settings
from bot.i18n import speaking
from bot.logging import setup_logging
from bot.progress import ProgressBar
from bot.redaction import remember_secrets
from bot.services.codes import add_codes, count_codes
from bot.services.exports import Exports, day_bounds
from bot.services.sales import Sales
from storage import upgrade_schema
from storage.backup import back_up
from storage.db import read_only_sessions
from storage.files import create_private_text
from storage.locks import active_holder
from storage.migrate import read_schema_state
from storage.reports import backlogs

STDOUT = "-"
# A bar for fewer rows would flash by.
PROGRESS_MIN_ROWS = 1000


def run(_: argparse.Namespace) -> int:
    settings = load_settings()
    catalog = load_catalog(settings.catalog_path, settings.default_language)
    setup_logging(settings.log_level, settings.log_json, secrets=settings.secrets)
    from bot.app import run_bot  # aiogram, only now: a bad set-up stops it without the wait

    try:
        event_loop.run(run_bot(settings, catalog))
    finally:
        # The bot has stopped and closed everything. Left alone, the interpreter's teardown
        # would walk every object aiogram and pydantic made, over a second on a busy machine,
        # out of the 10 s a stop may take; frozen, they are left to the OS.
        gc.freeze()
    return EXIT_OK


def migrate(_: argparse.Namespace) -> int:
    settings = load_database_settings()
    print(asyncio.run(upgrade_schema(settings.database_url)))
    return EXIT_OK


def check(_: argparse.Namespace) -> int:
    from bot.cli.check import check_readiness  # aiogram, for this command only

    findings = asyncio.run(check_readiness())
    for finding in findings:
        print(finding.line())
    return EXIT_OK if all(finding.ok for finding in findings) else EXIT_FAILED


def export(args: argparse.Namespace) -> int:
    settings = load_offline_settings()
    since, until = day_bounds(args.since, args.until)
    target: str = args.file
    rows = asyncio.run(_export(settings.database_url, target, since, until))
    if target != STDOUT:
        print(f"{rows} payment(s) written to {target}", file=sys.stderr)
    return EXIT_OK


async def _export(url: str, target: str, since: datetime | None, until: datetime | None) -> int:
    async with read_only_sessions(url) as readers:
        exports = Exports(readers)
        total = await exports.count(since, until)
        bar = ProgressBar.on_terminal(
            total, sys.stderr, minimum=PROGRESS_MIN_ROWS, unit="payments"
        )
        on_row = bar.advance if bar else None
        if target == STDOUT:
            rows = await exports.write_csv(sys.stdout, since, until, on_row=on_row)
        else:
            rows = await _export_to_file(exports, Path(target), since, until, on_row)
        if bar:
            bar.finish()
    return rows


async def _export_to_file(
    exports: Exports,
    path: Path,
    since: datetime | None,
    until: datetime | None,
    on_row: Callable[[], None] | None,
) -> int:
    """Into a temporary file beside `path`, renamed to it once complete: a failed export
    leaves no half file behind."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.unlink(missing_ok=True)  # left by an export that was killed
        with create_private_text(partial) as out:  # buyers' ids: for the owner only
            rows = await exports.write_csv(out, since, until, on_row=on_row)
        os.replace(partial, path)
    except OSError as error:
        if error.filename != str(partial):
            raise
        # The operator named `path`: the temporary file is ours to know about.
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return rows


def stats(_: argparse.Namespace) -> int:
    settings = load_offline_settings()
    catalog = load_catalog(settings.catalog_path, settings.default_language)
    with speaking(settings.default_language):
        report = asyncio.run(_stats(settings.database_url, catalog))
    sys.stdout.write(report.rstrip("\n") + "\n")
    return EXIT_OK


async def _stats(url: str, catalog: Catalog) -> str:
    async with read_only_sessions(url) as readers:
        figures = await Sales(readers, catalog).figures()
    return texts.plain(texts.sales_report(figures))


def status(_: argparse.Namespace) -> int:
    settings = load_database_settings()
    print("\n".join(asyncio.run(_status(settings.database_url))))
    return EXIT_OK


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
        version += " it at start, or run make migrate)"
    return [
        f"active poller: {holder or 'none (no bot process polls Telegram for this database)'}",
        f"schema version: {version}",
        f"inbox: {waiting.inbox_waiting} update(s) waiting, "
        f"{waiting.inbox_parked} parked as failed",
        f"outbox: {waiting.outbox_unsent} message(s) unsent, {waiting.outbox_given_up} given up",
    ]


def backup(args: argparse.Namespace) -> int:
    settings = load_database_settings()
    password = make_url(settings.database_url).password
    remember_secrets([str(password)] if password else [])  # masked in any line it reaches
    done = asyncio.run(back_up(settings.database_url, Path(args.file), force=args.force))
    print(f"{done.path}: {_size(done.size)}, {done.payments} payment(s)")
    return EXIT_OK


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    scaled, unit = size / 1024, "KiB"
    for larger in ("MiB", "GiB", "TiB"):
        if scaled < 1024:
            break
        scaled, unit = scaled / 1024, larger
    return f"{scaled:.1f} {unit} ({size} bytes)"


def codes(args: argparse.Namespace) -> int:
    settings = load_offline_settings()
    catalog = load_catalog(settings.catalog_path, settings.default_language)
    if args.action == "add":
        added = asyncio.run(
            add_codes(settings.database_url, catalog, args.product, Path(args.file))
        )
        print(
            f"{added.product.id}: {added.added} added, {added.skipped} skipped (repeated, or "
            f"loaded before), {added.in_stock} in stock"
        )
    else:
        print("\n".join(asyncio.run(count_codes(settings.database_url, catalog, args.product))))
    return EXIT_OK


# Every command by name (bot.cli.parser names them; bot.cli.exits answers their errors).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": run,
    "migrate": migrate,
    "check": check,
    "export": export,
    "stats": stats,
    "status": status,
    "codes": codes,
    "backup": backup,
}
