"""What a call to Telegram may fail with, how such a failure is told, and how long to wait.

Every part of the bot that calls the Bot API and goes on after a failure catches
`CALL_ERRORS` (anything else is a bug, and propagates), tells a person or a log what happened
with `describe_failure`, and waits by one of the schedules below. A 429 always waits
Telegram's own `retry_after` first (`RetryAfterMiddleware`); these schedules are for the rest.
"""

from __future__ import annotations

import re

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramServerError,
)
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.redaction import redact_known_secrets

# What a Bot API call may raise besides success: Telegram's answers (4xx, 5xx, 429), network
# trouble and timeouts (aiogram's TelegramNetworkError), an answer that is not JSON (a proxy's
# error page: ClientDecodeError), and the caller's own asyncio timeout.
CALL_ERRORS: tuple[type[Exception], ...] = (TelegramAPIError, ClientDecodeError, TimeoutError)

# getUpdates failing (Telegram or the network down): 1 s, doubling, up to 30 s.
FETCH_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=2.0, jitter=0.0)
# setWebhook failing at start (webhook mode): the same schedule as getUpdates.
WEBHOOK_BACKOFF = FETCH_BACKOFF
# getUpdates refused with 409 (another poller, or a webhook is set): a person must act.
CONFLICT_BACKOFF = BackoffConfig(min_delay=5.0, max_delay=60.0, factor=2.0, jitter=0.0)
# An owed message that failed: 1 s after the first failure, doubling, up to 5 minutes.
OUTBOX_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=300.0, factor=2.0, jitter=0.0)
# A handler that failed is given its update again after these pauses (its chat waits), then the
# update is parked in the inbox as failed (docs/guarantees.md documents this schedule).
HANDLER_RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
# A pre-checkout answer that failed (5xx, network) is sent again after this pause while
# Telegram's 10 s allow.
ANSWER_RETRY_PAUSE = 0.5

_TITLE = re.compile(r"<title>\s*(.{1,80}?)\s*</title>", re.IGNORECASE | re.DOTALL)


def delay_after(config: BackoffConfig, failures: int) -> float:
    """The pause after the `failures`-th failure in a row (1 for the first) on `config`'s
    schedule: for state kept elsewhere, such as a message's attempts in the outbox."""
    backoff = Backoff(config)
    delay = next(backoff)
    for _ in range(max(failures, 1) - 1):
        delay = next(backoff)
    return delay


def describe_failure(exc: BaseException) -> str:
    """What went wrong, in one line for a person or a log: a call to Telegram, mostly.

    This is the step every error text passes before it reaches a log line, a database row, a
    message or stderr: Telegram's own description when it answered, a few words otherwise, and
    never a secret the process holds (see `bot.redaction`), whatever the exception's type.
    """
    if isinstance(exc, TelegramAPIError):  # Telegram's description, or the network's (redacted)
        text = exc.message
    elif isinstance(exc, ClientDecodeError):  # a 502 from Telegram's front end is an HTML page
        title = _TITLE.search(str(exc.data))
        text = "Telegram answered with an error page" + (f" ({title.group(1)})" if title else "")
    elif isinstance(exc, TimeoutError):
        text = "Telegram did not answer in time"
    else:  # not Telegram's: the database, or a bug
        detail = first_line(str(exc))
        text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return redact_known_secrets(first_line(text) or type(exc).__name__)


def outcome_unknown(exc: BaseException) -> bool:
    """Whether Telegram may have done what was asked although the call failed: no answer, a
    5xx, or an answer that was not Telegram's (a proxy's page). A 4xx answer means it did not."""
    unanswered = (TelegramServerError, TelegramNetworkError, ClientDecodeError, TimeoutError)
    return isinstance(exc, unanswered)


def first_line(text: str) -> str:
    """The first line of `text`, stripped: error texts can run to a whole page."""
    return text.strip().partition("\n")[0]
