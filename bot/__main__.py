"""`python -m bot`: run the bot, or one of the commands that look after it (`bot.cli`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from bot import cli
from bot.catalog import CatalogError, load_catalog
from bot.config import ConfigError, load_database_settings, load_settings
from bot.logging import setup_logging
from storage import SchemaError, upgrade_schema
from storage.locks import DatabaseBusy

EXIT_CONFIG = 2
EXIT_LOST_LOCK = 3


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.command
    return command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        usage="%(prog)s [-h] [COMMAND]",
        description="A Telegram shop for Stars. Without a command: run the bot. Settings come "
        "from the environment or .env (see README.md).",
    )
    parser.set_defaults(command=run)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", prog="python -m bot")
    commands.add_parser(
        "migrate",
        help="upgrade the database schema to this release, print its version (needs only "
        "DATABASE_URL)",
        description="Upgrade the schema of DATABASE_URL to this release, as the bot does at "
        "start, and print the schema version.",
    ).set_defaults(command=migrate)
    commands.add_parser(
        "check",
        help="check that this set-up is ready for production; exits 1 if anything is not",
        description="Check the settings, the catalog, the database and its schema, the token "
        "(getMe), that no webhook is set, that every admin can be messaged, and that "
        "PAYLOAD_SECRET is set: one line each, with ✓ or ✗. Writes nothing. Exits 0 when "
        "everything passes, 1 otherwise.",
    ).set_defaults(command=cli.check)
    export = commands.add_parser(
        "export",
        help="write payments with their refunds as CSV, one row per charge (no token needed)",
        description="Write the payments made from --since through --until (whole UTC days, "
        "both included; open-ended without them) as CSV, one row per charge, the refund "
        "columns filled where it was refunded. Reads only DATABASE_URL; writes nothing to it.",
    )
    export.add_argument("--since", type=cli.day, metavar="DATE", help="first day, YYYY-MM-DD")
    export.add_argument("--until", type=cli.day, metavar="DATE", help="last day, YYYY-MM-DD")
    export.add_argument("file", metavar="FILE.csv", help="where to write it; - for stdout")
    export.set_defaults(command=cli.export)
    commands.add_parser(
        "stats",
        help="print the sales figures /stats shows (no token needed)",
        description="Print revenue, payments and refunds for today, 7 days, 30 days and all "
        "time, and who holds each product now: what /stats shows in the chat. Reads only "
        "DATABASE_URL and CATALOG_PATH; writes nothing.",
    ).set_defaults(command=cli.stats)
    commands.add_parser(
        "status",
        help="print whether a bot process polls for this database, the schema version and the "
        "inbox and outbox backlogs (no token needed)",
        description="Print which process, if any, polls Telegram for DATABASE_URL (the active "
        "one; others stand by), the schema version, and how many updates wait in the inbox "
        "and messages in the outbox. Writes nothing.",
    ).set_defaults(command=cli.status)
    return parser


def run(_: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        catalog = load_catalog(settings.catalog_path)
    except (ConfigError, CatalogError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level, settings.log_json, secrets=settings.secrets)
    # aiogram takes seconds to import: only the bot itself pays for it, not --help or migrate.
    from bot.app import ActiveLockLost, run_bot

    try:
        asyncio.run(run_bot(settings, catalog))
    except (ConfigError, SchemaError, DatabaseBusy) as exc:  # found at start
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    except ActiveLockLost as exc:
        print(exc, file=sys.stderr)
        return EXIT_LOST_LOCK
    return 0


def migrate(_: argparse.Namespace) -> int:
    try:
        settings = load_database_settings()
        version = asyncio.run(upgrade_schema(settings.database_url))
    except (ConfigError, SchemaError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    print(version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
