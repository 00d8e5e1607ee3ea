"""`python -m bot`: run the bot, or one of the commands that look after its database."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from bot.catalog import CatalogError, load_catalog
from bot.config import ConfigError, load_database_settings, load_settings
from bot.logging import setup_logging
from storage import SchemaError, upgrade_schema

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Callable[[], int] = args.command
    return command()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        usage="%(prog)s [-h] [COMMAND]",
        description="A Telegram shop for Stars. Without a command: run the bot. Settings come "
        "from the environment or .env (see README.md).",
    )
    parser.set_defaults(command=run)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    commands.add_parser(
        "migrate",
        help="upgrade the database schema to this release, print its version (needs only "
        "DATABASE_URL)",
        description="Upgrade the schema of DATABASE_URL to this release, as the bot does at "
        "start, and print the schema version.",
    ).set_defaults(command=migrate)
    return parser


def run() -> int:
    try:
        settings = load_settings()
        catalog = load_catalog(settings.catalog_path)
    except (ConfigError, CatalogError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level, settings.log_json, secrets=settings.secrets)
    # aiogram takes seconds to import: only the bot itself pays for it, not --help or migrate.
    from bot.app import run_bot

    try:
        asyncio.run(run_bot(settings, catalog))
    except (ConfigError, SchemaError) as exc:  # found at start: a rejected token, a bad schema
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    return 0


def migrate() -> int:
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
