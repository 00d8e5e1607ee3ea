"""The command line of `python -m bot`: its commands, their arguments and their help."""

from __future__ import annotations

import argparse
from datetime import date

RUN = "run"  # the command without a name: the bot itself


def build_parser() -> argparse.ArgumentParser:
    """`parse_args` gives `command`, the command's name (None: run the bot), and its arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        usage="%(prog)s [-h] [COMMAND]",
        description="A Telegram shop for Stars. Without a command: run the bot. Settings come "
        "from the environment or .env (see docs/configuration.md).",
    )
    commands = parser.add_subparsers(
        dest="command", title="commands", metavar="COMMAND", prog="python -m bot"
    )
    commands.add_parser(
        "migrate",
        help="upgrade the database schema to this release, print its version (needs only "
        "DATABASE_URL)",
        description="Upgrade the schema of DATABASE_URL to this release, as the bot does at "
        "start, and print the schema version.",
    )
    commands.add_parser(
        "check",
        help="check that this set-up is ready for production; exits 1 if anything is not",
        description="Check the settings, the catalog, the database and its schema, the token "
        "(getMe), the mode (polling or webhook) and whether Telegram's webhook agrees, that "
        "every admin can be messaged, and that PAYLOAD_SECRET is set: one line each, with ✓ "
        "or ✗. Writes nothing. Exits 0 when everything passes, 1 otherwise.",
    )
    export = commands.add_parser(
        "export",
        help="write payments with their refunds as CSV, one row per charge (no token needed)",
        description="Write the payments made from --since through --until (whole UTC days, "
        "both included; open-ended without them) as CSV, one row per charge, the refund "
        "columns filled where it was refunded. Reads only DATABASE_URL; writes nothing to it.",
    )
    export.add_argument("--since", type=day, metavar="DATE", help="first day, YYYY-MM-DD")
    export.add_argument("--until", type=day, metavar="DATE", help="last day, YYYY-MM-DD")
    export.add_argument("file", metavar="FILE.csv", help="where to write it; - for stdout")
    commands.add_parser(
        "stats",
        help="print the sales figures /stats shows (no token needed)",
        description="Print revenue, payments and refunds for today, 7 days, 30 days and all "
        "time, and who holds each product now: what /stats shows in the chat. Reads only "
        "DATABASE_URL and CATALOG_PATH; writes nothing.",
    )
    commands.add_parser(
        "status",
        help="print whether a bot process polls for this database, the schema version and the "
        "inbox and outbox backlogs (no token needed)",
        description="Print which process, if any, polls Telegram for DATABASE_URL (the active "
        "one; others stand by), the schema version, and how many updates wait in the inbox "
        "and messages in the outbox. Writes nothing.",
    )
    backup = commands.add_parser(
        "backup",
        help="write a consistent copy of the database while the bot runs (no token needed)",
        description="Copy DATABASE_URL's database into FILE while the bot runs and writes: "
        "SQLite's online backup, or pg_dump -Fc (from PATH) for PostgreSQL. Prints the size "
        "and the payments in the copy. FILE appears only once complete. How to restore it: "
        "docs/operations.md, Backups.",
    )
    backup.add_argument("file", metavar="FILE", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    _add_codes_commands(commands)
    return parser


def _add_codes_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    codes = commands.add_parser(
        "codes",
        help="load codes for sale (codes add PRODUCT FILE), or count them (codes count)",
        description="Codes that products with codes = true hand out, one per sale. Needs "
        "DATABASE_URL and CATALOG_PATH, no token; a running bot puts new codes on sale within "
        "seconds. Codes are never printed.",
    )
    actions = codes.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="load the codes in FILE for PRODUCT",
        description="Load FILE's codes for PRODUCT, one per line (stripped; blank lines, "
        "repeats and codes loaded before are skipped), and print how many were added, "
        "skipped and are now in stock.",
    )
    add.add_argument("product", metavar="PRODUCT", help="a product id with codes = true")
    add.add_argument("file", metavar="FILE", help="a UTF-8 text file, one code per line")
    count = actions.add_parser(
        "count",
        help="print what is left of products with codes or a stock limit",
        description="Print, per product with codes or a stock limit (or PRODUCT only), how "
        "many are left and sold. Writes nothing.",
    )
    count.add_argument("product", metavar="PRODUCT", nargs="?", help="one product id")


def day(text: str) -> date:
    """An argparse type: a UTC day as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None
