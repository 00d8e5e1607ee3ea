"""What Telegram shows of the bot before a word is sent to it, in each language: the command
menus, and the description and short description that the shop gives (BOT_DESCRIPTION, ...).

Telegram picks a user's menu by the scope and their app's language, falling back to the menu
set without a language. So the default language's menus are set without one, and serve every
language with no menu of its own; each other language gets its own. The admins' menus (their
own chat's scope) add the admin commands. A description is set only where the shop gives one:
unset, the bot leaves what @BotFather holds.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from loguru import logger

from bot import texts
from bot.config import Settings
from bot.i18n import speaking
from bot.locales import offered_languages
from bot.telegram.failures import CALL_ERRORS, describe_failure

Scope = BotCommandScopeDefault | BotCommandScopeChat


async def register_menus(bot: Bot, settings: Settings) -> None:
    """Every language's command menus, then the descriptions the shop gives."""
    for language in offered_languages():
        code = None if language == settings.default_language else language
        with speaking(language):
            buyer = [
                BotCommand(command=c, description=d) for c, d in texts.buyer_commands().items()
            ]
            admin = [
                BotCommand(command=c, description=d) for c, d in texts.admin_commands().items()
            ]
        menus: list[tuple[list[BotCommand], Scope]] = [(buyer, BotCommandScopeDefault())]
        menus += [
            (buyer + admin, BotCommandScopeChat(chat_id=a)) for a in sorted(settings.admin_ids)
        ]
        for commands, scope in menus:
            await _set_menu(bot, commands, scope, code)
    await _set_descriptions(bot, settings)


def _menu(commands: dict[str, str]) -> list[BotCommand]:
    return [BotCommand(command=name, description=about) for name, about in commands.items()]


async def _set_menu(bot: Bot, commands: list[BotCommand], scope: Scope, code: str | None) -> None:
    try:
        await bot.set_my_commands(commands, scope=scope, language_code=code)
    except CALL_ERRORS as exc:
        # The menu is a convenience; the bot works without it. An admin who never opened the
        # bot ("chat not found") must not cost the others their menu.
        logger.warning(
            "could not register the command menu for {} ({}): {}",
            scope,
            code or "every language",
            describe_failure(exc),
        )


async def _set_descriptions(bot: Bot, settings: Settings) -> None:
    for language in (None, *offered_languages()):
        # NAME for every language without its own (no language code), NAME_RU for Russian.
        suffix = f"_{language}" if language else ""
        description = getattr(settings, f"bot_description{suffix}", None)
        short = getattr(settings, f"bot_short_description{suffix}", None)
        try:
            if description:
                await bot.set_my_description(description, language_code=language)
            if short:
                await bot.set_my_short_description(short, language_code=language)
        except CALL_ERRORS as exc:
            logger.warning(
                "could not set the bot's description ({}): {}",
                language or "every language",
                describe_failure(exc),
            )
