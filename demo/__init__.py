"""An offline tour of the bot (`make demo`): see demo/__main__.py."""
