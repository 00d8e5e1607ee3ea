"""Building the Bot and the Dispatcher from settings; nothing here runs at import time."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import PRODUCTION, TEST, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import ErrorEvent
from loguru import logger

from bot.catalog import Catalog
from bot.config import Settings
from bot.middlewares.flood import FloodGate, FloodLimitMiddleware
from bot.middlewares.plain_text_fallback import PlainTextFallbackMiddleware
from bot.middlewares.redact_errors import RedactErrorsMiddleware
from bot.middlewares.remember_users import RememberUsersMiddleware
from bot.middlewares.retry_after import RetryAfterMiddleware
from bot.redaction import Redactor
from bot.routers import create_routers
from bot.services.buyers import UserDirectory
from bot.services.offers import PayloadSigner
from bot.services.ownership import OwnershipLookup
from bot.services.payments import PaymentRecorder
from bot.services.reconcile import Reconciler
from bot.session import ShopSession
from bot.updates import is_payment_update
from storage import SessionFactory, Writer
from storage.locks import Locks


def api_server(settings: Settings) -> TelegramAPIServer:
    if settings.telegram_api_base is not None:
        base = str(settings.telegram_api_base).rstrip("/")
        test = "/test" if settings.telegram_test_env else ""
        return TelegramAPIServer(
            base=f"{base}/bot{{token}}{test}/{{method}}",
            file=f"{base}/file/bot{{token}}{test}/{{path}}",
        )
    return TEST if settings.telegram_test_env else PRODUCTION


def create_bot(settings: Settings) -> Bot:
    session = ShopSession(api=api_server(settings))
    # The first registered is the outermost: no error leaves the session with a secret in it.
    session.middleware(RedactErrorsMiddleware(Redactor(settings.secrets)))
    session.middleware(PlainTextFallbackMiddleware())
    session.middleware(RetryAfterMiddleware())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def create_signer(settings: Settings) -> PayloadSigner:
    """PAYLOAD_SECRET signs; unset, the token does, as before the setting existed."""
    secret = settings.payload_secret or settings.bot_token
    old = [s.get_secret_value() for s in settings.payload_secrets_old]
    return PayloadSigner(secret.get_secret_value(), old)


def create_dispatcher(
    settings: Settings,
    writer: Writer,
    readers: SessionFactory,
    locks: Locks,
    catalog: Catalog,
    signer: PayloadSigner,
    payments: PaymentRecorder,
    reconciler: Reconciler,
) -> Dispatcher:
    """The dispatcher with every router; the long-lived objects reach handlers by name."""
    # No FSM: its storage would keep a record per chat forever (aiogram reads every update's
    # state); the one conversation, /paysupport, keeps its state in the database.
    dispatcher = Dispatcher(
        disable_fsm=True,
        settings=settings,
        writer=writer,  # every write, group-committed on the one writer connection
        readers=readers,  # read-only look-ups that must never wait for a writer
        ownership=OwnershipLookup(readers),
        locks=locks,  # named locks across processes (refunds of one charge, reconciliation)
        catalog=catalog,
        signer=signer,
        payments=payments,
        reconciler=reconciler,
    )
    if settings.flood_limit:
        gate = FloodGate(settings.flood_limit, settings.flood_window, settings.flood_pause)
        dispatcher.update.outer_middleware(FloodLimitMiddleware(gate, settings.admin_ids))
    remember_users = RememberUsersMiddleware(UserDirectory(writer))
    dispatcher.message.outer_middleware(remember_users)
    dispatcher.callback_query.outer_middleware(remember_users)
    dispatcher.include_routers(*create_routers())
    dispatcher.errors.register(on_error)
    return dispatcher


APOLOGY = "Sorry, something went wrong on our side. Please try again in a minute."


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    """Apologise for a failed command; re-raise for payments so that they are delivered again."""
    update = event.update
    message, query = update.message, update.callback_query
    # A payment's loss would lose money or access: when its handler fails, the inbox hands it
    # to it again (and at last parks it, with its JSON), instead of apologising.
    if is_payment_update(update):
        raise event.exception
    logger.opt(exception=event.exception).error("update {} failed", update.update_id)
    try:
        if query is not None:  # stops the button's spinner, with the apology on it
            await bot.answer_callback_query(query.id, text=APOLOGY, show_alert=True)
        elif message is not None:
            await bot.send_message(message.chat.id, APOLOGY)
    except Exception as exc:  # the apology is best effort
        logger.warning("could not apologise for update {}: {}", update.update_id, exc)
    return True
