"""Each update's language: aiogram-i18n's middleware, with `UserLanguages` choosing it, serving
the bundles `bot.i18n` renders (loaded once). A handler may take `i18n` (aiogram-i18n's context)
to change the user's language; every text in the update is rendered in it (`bot.i18n.t`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram_i18n import I18nMiddleware
from aiogram_i18n.cores import FluentRuntimeCore
from aiogram_i18n.managers import BaseManager
from fluent.runtime import FluentBundle

from bot.i18n import bundles, speaking
from bot.locales import LOCALES, SOURCE_LANGUAGE
from bot.services.languages import UserLanguages
from storage.repositories import user_row


class _BundledCore(FluentRuntimeCore):
    """aiogram-i18n's Fluent core, on the bundles `bot.i18n` loaded."""

    def find_locales(self) -> dict[str, FluentBundle]:
        return dict(bundles())


@cache
def bundled_core() -> FluentRuntimeCore:
    core = _BundledCore(LOCALES, default_locale=SOURCE_LANGUAGE, use_td=False)
    core.locales.update(core.find_locales())
    return core


class LanguageManager(BaseManager):
    """aiogram-i18n's locale manager: each update's language, and /language's choice, from
    `UserLanguages`."""

    def __init__(self, languages: UserLanguages) -> None:
        super().__init__(default_locale=languages.default)
        self.languages = languages

    async def get_locale(self, event_from_user: User | None = None, **_: Any) -> str:
        """The language of an update from `event_from_user` (aiogram's own data)."""
        user = event_from_user
        return await self.languages.of_update(
            user.id if user else None, user.language_code if user else None
        )

    async def set_locale(self, locale: str, event_from_user: User, **_: Any) -> None:
        user = event_from_user
        row = user_row(user.id, user.username, user.full_name, user.language_code)
        await self.languages.choose(row, locale)


class LanguageMiddleware(I18nMiddleware):
    """An outer update middleware: the language of the update's user, for all it renders."""

    def __init__(self, languages: UserLanguages) -> None:
        super().__init__(
            core=bundled_core(),
            manager=LanguageManager(languages),
            default_locale=languages.default,
        )

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        locale = await self.manager.locale_getter(event=event, **data)
        with self.use_context(locale=locale, data=data), speaking(locale):
            return await handler(event, data)
