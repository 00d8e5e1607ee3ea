"""The dispatcher: every router, the update middlewares, the lifecycle, and the error handler."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot, Dispatcher, Router
from aiogram.types import ErrorEvent
from loguru import logger

from bot import lifecycle, texts
from bot.i18n import speaking
from bot.middlewares.flood import FloodGate, FloodLimitMiddleware
from bot.middlewares.language import LanguageMiddleware
from bot.middlewares.managed_chats import ManagedChatsMiddleware
from bot.middlewares.remember_users import RememberUsersMiddleware
from bot.routers import create_routers, ids
from bot.services.container import Services
from bot.services.languages import UserLanguages
from bot.telegram.failures import describe_failure
from storage.update_kinds import retried_on_failure


def create_dispatcher(services: Services, routers: Sequence[Router] | None = None) -> Dispatcher:
    """The dispatcher with `routers` (every feature router unless given); the services reach
    handlers by name (see `Services`)."""
    # No FSM: its storage would keep a record per chat forever (aiogram reads every update's
    # state); the one conversation, /paysupport, keeps its state in the database.
    dispatcher = Dispatcher(disable_fsm=True, **services.workflow_data())
    lifecycle.register(dispatcher)
    settings = services.settings
    # First: every answer, even the flood limit's, is in the user's language.
    dispatcher.update.outer_middleware(LanguageMiddleware(services.languages))
    # Before the flood limit: the managed chats' messages reach nothing (not even the limit).
    dispatcher.update.outer_middleware(
        ManagedChatsMiddleware(services.catalog.chats, settings.admin_ids, ids.COMMAND)
    )
    if settings.flood_limit:
        gate = FloodGate(settings.flood_limit, settings.flood_window, settings.flood_pause)
        dispatcher.update.outer_middleware(FloodLimitMiddleware(gate, settings.admin_ids))
    remember_users = RememberUsersMiddleware(services.users)
    dispatcher.message.outer_middleware(remember_users)
    dispatcher.callback_query.outer_middleware(remember_users)
    dispatcher.include_routers(*(create_routers() if routers is None else routers))
    dispatcher.errors.register(on_error)
    return dispatcher


async def on_error(event: ErrorEvent, bot: Bot, languages: UserLanguages) -> bool:
    """Apologise for a failed command; re-raise for payments so that they are delivered again."""
    update = event.update
    message, query = update.message, update.callback_query
    # A payment's loss would lose money or access (a join request's, a member let in): when its
    # handler fails, the inbox hands it to it again (and at last parks it, with its JSON).
    if retried_on_failure(update):
        raise event.exception
    logger.opt(exception=event.exception).error("update {} failed", update.update_id)
    user = query.from_user if query else message.from_user if message else None
    language = await languages.of_update(
        user.id if user else None, user.language_code if user else None
    )
    with speaking(language):
        apology = texts.apology()
    try:
        if query is not None:  # stops the button's spinner, with the apology on it
            await bot.answer_callback_query(query.id, text=apology, show_alert=True)
        elif message is not None:
            await bot.send_message(message.chat.id, apology)
    except Exception as exc:  # the apology is best effort
        logger.warning(
            "could not apologise for update {}: {}", update.update_id, describe_failure(exc)
        )
    return True
