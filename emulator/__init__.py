"""Telegram Bot API emulator for the tests, `make demo` and `make bench`: real HTTP on
loopback, no mocks.

async with BotAPIEmulator() as emu:
    bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    alice = emu.user(first_name="Alice")
    emu.send_text(alice, "/start")
    reply = await emu.wait_for_message(alice.id)
    ...
    assert emu.violations == []
"""

from emulator.core import DEFAULT_SPEC_PATH, DEFAULT_TOKEN
from emulator.formatting import EntityParseError, format_text, utf16_len
from emulator.models import (
    JSON,
    MALFORMED,
    NO_HTTP_ANSWER,
    NOT_UTF8_PAGE,
    ApiError,
    Charge,
    CheckoutResult,
    Fault,
    Group,
    InvoiceLink,
    Request,
    SentInvoice,
    StarSubscription,
    UploadedFile,
    User,
)
from emulator.server import BotAPIEmulator
from emulator.spec import BotAPISpec

__all__ = [
    "DEFAULT_SPEC_PATH",
    "DEFAULT_TOKEN",
    "JSON",
    "MALFORMED",
    "NOT_UTF8_PAGE",
    "NO_HTTP_ANSWER",
    "ApiError",
    "BotAPIEmulator",
    "BotAPISpec",
    "Charge",
    "CheckoutResult",
    "EntityParseError",
    "Fault",
    "Group",
    "InvoiceLink",
    "Request",
    "SentInvoice",
    "StarSubscription",
    "UploadedFile",
    "User",
    "format_text",
    "utf16_len",
]
