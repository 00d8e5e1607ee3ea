"""`python -m bot`: read settings and the catalog, then serve until stopped."""

from __future__ import annotations

import asyncio
import sys

from bot.app import run_bot
from bot.catalog import CatalogError, load_catalog
from bot.config import ConfigError, load_settings
from bot.logging import setup_logging

EXIT_CONFIG = 2


def main() -> int:
    try:
        settings = load_settings()
        catalog = load_catalog(settings.catalog_path)
    except (ConfigError, CatalogError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level, settings.log_json, secrets=settings.secrets)
    try:
        asyncio.run(run_bot(settings, catalog))
    except ConfigError as exc:  # found at start: Telegram rejects the token
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main())
