"""Which language the bot speaks to whom: /language's choice, the Telegram app's language, and
the default, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.types import User

from bot import texts
from bot.i18n import speaking, t
from bot.locales import choose_language
from bot.middlewares.language import LanguageManager
from bot.services.buyers import UserDirectory
from bot.services.languages import UserLanguages
from storage.repositories import UserRepository
from tests.helpers import eventually

OFFERED = ("en", "ru")


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


@pytest.mark.parametrize(
    ("chosen", "language_code", "default", "expected"),
    [
        ("en", "ru", "en", "en"),  # a choice beats the app's language
        (None, "ru", "en", "ru"),
        (None, "ru-RU", "en", "ru"),  # by the primary subtag
        (None, "RU", "en", "ru"),
        (None, "pt-br", "en", "en"),  # not offered: the default
        (None, "pt-br", "ru", "ru"),
        (None, None, "ru", "ru"),
        ("xx", "ru", "en", "ru"),  # a choice no longer offered is skipped
        ("xx", None, "en", "en"),
    ],
)
def test_the_language_is_the_first_offered_of_choice_app_and_default(
    chosen, language_code, default, expected
):
    assert choose_language(chosen, language_code, OFFERED, default) == expected


def person(user_id: int, language_code: str | None) -> User:
    return User(id=user_id, is_bot=False, first_name="Ann", language_code=language_code)


async def test_a_choice_is_kept_and_beats_the_apps_language_for_a_new_process(sessions, writer):
    languages = UserLanguages(writer, sessions, default="en")
    manager = LanguageManager(languages)  # aiogram-i18n's view of it
    assert await manager.get_locale(event_from_user=person(7, "ru-RU")) == "ru"
    assert await manager.get_locale(event_from_user=person(8, "de")) == "en"
    assert await manager.get_locale() == "en"  # an update from no one

    await manager.set_locale("en", event_from_user=person(7, "ru-RU"))
    assert await manager.get_locale(event_from_user=person(7, "ru-RU")) == "en"

    restarted = UserLanguages(writer, sessions, default="en")
    assert await restarted.of_update(7, "ru-RU") == "en"
    async with sessions() as session:
        assert await restarted.of(session, 7) == "en"


async def test_a_message_queued_for_someone_is_in_their_apps_latest_language(sessions, writer):
    directory, languages = UserDirectory(writer), UserLanguages(writer, sessions, default="en")
    directory.saw(7, "ann", "Ann", "ru")
    await eventually(lambda: language_of(languages, sessions, 7, "ru"))
    directory.saw(7, "ann", "Ann", "en-GB")  # she switched her app to English
    await eventually(lambda: language_of(languages, sessions, 7, "en"))
    assert await language_of(languages, sessions, 404, "en")  # never wrote: the default


async def test_storing_a_name_keeps_the_language_chosen(sessions, writer):
    directory, languages = UserDirectory(writer), UserLanguages(writer, sessions, default="en")
    await LanguageManager(languages).set_locale("ru", event_from_user=person(7, "en"))
    directory.saw(7, "ann", "Ann S.", "en")
    await eventually(lambda: stored_name(sessions, 7, "Ann S."))
    async with sessions() as session:
        assert await UserRepository(session).languages_of(7) == ("ru", "en")


async def language_of(languages: UserLanguages, sessions, user_id: int, expected: str) -> bool:
    async with sessions() as session:
        return await languages.of(session, user_id) == expected


async def stored_name(sessions, user_id: int, expected: str) -> bool:
    async with sessions() as session:
        user = await UserRepository(session).get(user_id)
    return user is not None and user.full_name == expected


def test_a_message_is_in_the_language_spoken_and_english_outside_any():
    assert t("common-cancel-button") == "Cancel"
    with speaking("ru"):
        assert t("common-cancel-button") == "Отмена"
        with speaking("en"):
            assert t("common-cancel-button") == "Cancel"
        assert t("common-cancel-button") == "Отмена"
    assert t("common-cancel-button") == "Cancel"


def test_remembered_amounts_and_moments_stay_in_the_language_asked():
    moment = datetime(2026, 12, 7, 14, 5, 59, tzinfo=UTC)
    english = (texts.stars(1500), texts.when(moment))
    with speaking("ru"):
        russian = (texts.stars(1500), texts.when(moment))
    assert english == ("1,500 ⭐", "Dec 7, 2026, 2:05\u202fPM UTC")
    assert russian == ("1\xa0500 ⭐", "7 дек. 2026\u202fг., 14:05 UTC")
    assert (texts.stars(1500), texts.when(moment.replace(second=1))) == english
