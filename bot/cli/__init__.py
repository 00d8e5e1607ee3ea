"""The command line of `python -m bot`: the bot itself (`run`, without a command) and the
commands that look after it. The parser (parser.py) names them, commands.py runs them, and
exits.py turns the errors an operator can fix into one line and an exit code; `check` is
check.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.cli.commands import COMMANDS
from bot.cli.exits import run_command
from bot.cli.parser import RUN, build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command that `argv` (default: sys.argv) names; returns its exit code."""
    args = build_parser().parse_args(argv)
    name: str = args.command or RUN
    step = COMMANDS[name]
    return run_command(name, lambda: step(args))
