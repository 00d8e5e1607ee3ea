"""What the bot says, built from plain values, one module per feature.

Every text is HTML, and fits Telegram's limit of 4096 characters as Telegram counts them (after
the entities are parsed, in UTF-16 units): lists show what fits and say how many more there are,
and what a user, an admin or Telegram wrote is shortened before it is escaped (`bot.limits`).
Button labels and alerts are plain text. Callers use the package as one namespace:
`from bot import texts; texts.refund_done(...)`.
"""

from bot.limits import *  # noqa: F403
from bot.texts.access import *  # noqa: F403
from bot.texts.admin import *  # noqa: F403
from bot.texts.chat_admin import *  # noqa: F403
from bot.texts.commands import *  # noqa: F403
from bot.texts.common import *  # noqa: F403
from bot.texts.files import *  # noqa: F403
from bot.texts.goodwill import *  # noqa: F403
from bot.texts.ids import *  # noqa: F403
from bot.texts.languages import *  # noqa: F403
from bot.texts.payments import *  # noqa: F403
from bot.texts.purchases import *  # noqa: F403
from bot.texts.refunds import *  # noqa: F403
from bot.texts.reminders import *  # noqa: F403
from bot.texts.shop import *  # noqa: F403
from bot.texts.stock import *  # noqa: F403
from bot.texts.subscriptions import *  # noqa: F403
from bot.texts.support import *  # noqa: F403
