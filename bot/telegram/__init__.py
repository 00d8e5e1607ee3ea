"""The one gateway to Telegram: the Bot and its HTTP session, the request middlewares, and
what a call may fail with (`bot.telegram.failures`)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import PRODUCTION, TEST, TelegramAPIServer
from aiogram.enums import ParseMode

from bot.config import Settings
from bot.redaction import Redactor, remember_secrets
from bot.telegram.http import TelegramHttpSession
from bot.telegram.middlewares import (
    PlainTextFallbackMiddleware,
    RedactErrorsMiddleware,
    RetryAfterMiddleware,
)


def api_server(settings: Settings) -> TelegramAPIServer:
    """Telegram's servers, its test environment, or TELEGRAM_API_BASE (another server)."""
    if settings.telegram_api_base is not None:
        base = str(settings.telegram_api_base).rstrip("/")
        test = "/test" if settings.telegram_test_env else ""
        return TelegramAPIServer(
            base=f"{base}/bot{{token}}{test}/{{method}}",
            file=f"{base}/file/bot{{token}}{test}/{{path}}",
        )
    return TEST if settings.telegram_test_env else PRODUCTION


def create_bot(settings: Settings) -> Bot:
    """The Bot, with HTML by default, whose failures never carry a secret."""
    remember_secrets(settings.secrets)
    session = TelegramHttpSession(api=api_server(settings))
    # The first registered is the outermost: no error leaves the session with a secret in it.
    session.middleware(RedactErrorsMiddleware(Redactor(settings.secrets)))
    session.middleware(PlainTextFallbackMiddleware())
    session.middleware(RetryAfterMiddleware())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
