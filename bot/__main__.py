"""`python -m bot`: run the bot, or one of the commands that look after it (see bot.cli)."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
