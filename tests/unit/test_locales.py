"""Every language is whole: the messages English has, with the same variables, that parse,
render and fit Telegram; the code asks only for messages that exist, with their variables; and
no message is left unused. `make check-locales` runs this file: the one check for a new
language.

Each check runs on the bot's own files, and on a broken copy to show that it fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.i18n import speaking, t
from bot.locales import LOCALES, SOURCE_LANGUAGE
from tests.locales import (
    call_problems,
    limit_problems,
    load_language,
    package_calls,
    parity_problems,
    render_all,
    render_problems,
    t_calls,
    unused_messages,
)

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"


def _failures(problems: list[str]) -> str:
    return "\n".join(problems)


# --- The bot's own files --------------------------------------------------------------------


def test_every_language_has_englishs_files_messages_and_variables():
    problems = parity_problems(LOCALES)
    assert not problems, _failures(problems)


def test_every_message_renders_without_errors_in_every_language():
    problems = render_problems(LOCALES)
    assert not problems, _failures(problems)


def test_the_checks_render_messages_as_the_bot_does():
    """The checks load the files themselves (to point at a broken copy); they must see what
    `t` shows."""
    for rendered in render_all(LOCALES):
        with speaking(rendered.language):
            shown = t(rendered.message_id, **rendered.arguments)
        assert shown == rendered.text, rendered.where


def test_every_t_call_names_an_english_message_with_its_variables():
    problems = call_problems(package_calls(BOT), load_language(LOCALES / SOURCE_LANGUAGE))
    assert not problems, _failures(problems)


def test_every_english_message_is_used_by_the_code_or_another_message():
    problems = unused_messages(package_calls(BOT), load_language(LOCALES / SOURCE_LANGUAGE))
    assert not problems, _failures(problems)


def test_every_message_fits_telegram_in_every_language():
    problems = limit_problems(LOCALES)
    assert not problems, _failures(problems)


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [
        ("ru", 1, "1 день"),
        ("ru", 2, "2 дня"),
        ("ru", 5, "5 дней"),
        ("ru", 11, "11 дней"),
        ("ru", 21, "21 день"),
        ("ru", 22, "22 дня"),
        ("en", 1, "1 day"),
        ("en", 2, "2 days"),
    ],
)
def test_days_take_the_languages_plural_forms(language, days, expected):
    with speaking(language):
        assert t("common-days", days=days) == expected


@pytest.mark.parametrize(
    ("language", "seconds", "expected"),
    [
        ("ru", 1, " 1 секунду."),
        ("ru", 2, " 2 секунды."),
        ("ru", 5, " 5 секунд."),
        ("ru", 11, " 11 секунд."),
        ("ru", 21, " 21 секунду."),
        ("ru", 22, " 22 секунды."),
        ("ru", 1.5, " 1,5 секунды."),
        ("en", 1, " 1 second."),
        ("en", 2, " 2 seconds."),
        ("en", 1.5, " 1.5 seconds."),
    ],
)
def test_the_flood_warnings_seconds_take_the_languages_plural_forms(language, seconds, expected):
    with speaking(language):
        assert expected in t("commands-flood-warning", seconds=seconds)


# --- Broken copies: each check fails when it should -----------------------------------------

ENGLISH = """\
shop-days = { $days ->
    [one] { $days } day
   *[other] { $days } days
}
shop-line = { $title } for { shop-days }
shop-buy-button = Buy { $title }
"""
RUSSIAN = """\
shop-days = { $days ->
    [one] { $days } день
    [few] { $days } дня
   *[many] { $days } дней
}
shop-line = { $title } на { shop-days }
shop-buy-button = Купить { $title }
"""


def _locales(tmp_path: Path, english: str = ENGLISH, russian: str = RUSSIAN) -> Path:
    for language, text in (("en", english), ("ru", russian)):
        (tmp_path / language).mkdir()
        (tmp_path / language / "shop.ftl").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_whole_copy_passes_every_check(tmp_path):
    root = _locales(tmp_path)
    assert parity_problems(root) == []
    assert render_problems(root) == []
    assert limit_problems(root) == []


def test_a_missing_message_is_named_with_its_language_and_file(tmp_path):
    root = _locales(tmp_path, russian=RUSSIAN.replace("shop-buy-button = Купить { $title }\n", ""))
    assert parity_problems(root) == ["ru/shop.ftl: shop-buy-button: missing"]


def test_a_message_english_lacks_fails(tmp_path):
    root = _locales(tmp_path, russian=RUSSIAN + "shop-extra = лишнее\n")
    assert parity_problems(root) == ["ru/shop.ftl: shop-extra: a message English does not have"]


def test_a_missing_file_fails(tmp_path):
    root = _locales(tmp_path)
    (root / "en" / "refunds.ftl").write_text("refunds-done = Refunded\n", encoding="utf-8")
    assert parity_problems(root) == [
        "ru/refunds.ftl: missing (English has en/refunds.ftl)",
        "ru/refunds.ftl: refunds-done: missing",
    ]


def test_a_different_variable_fails(tmp_path):
    root = _locales(tmp_path, russian=RUSSIAN.replace("Купить { $title }", "Купить { $name }"))
    assert parity_problems(root) == [
        "ru/shop.ftl: shop-buy-button: uses {$name}, English uses {$title}"
    ]


def test_a_variable_brought_by_a_referenced_message_counts(tmp_path):
    """English's shop-line takes $days through { shop-days }; a translation that drops the
    reference drops the variable."""
    root = _locales(tmp_path, russian=RUSSIAN.replace("на { shop-days }", "навсегда"))
    assert parity_problems(root) == [
        "ru/shop.ftl: shop-line: uses {$title}, English uses {$days, $title}"
    ]


def test_a_variable_in_one_variant_only_counts(tmp_path):
    russian = RUSSIAN.replace("[few] { $days } дня", "[few] { $count } дня")
    assert parity_problems(_locales(tmp_path, russian=russian)) == [
        "ru/shop.ftl: shop-days: uses {$count, $days}, English uses {$days}",
        "ru/shop.ftl: shop-line: uses {$count, $days, $title}, English uses {$days, $title}",
    ]


def test_an_attributes_variables_are_compared_too(tmp_path):
    english = ENGLISH + "shop-head = Shop\n    .hint = { $count } products\n"
    russian = RUSSIAN + "shop-head = Магазин\n    .hint = { $n } товаров\n"
    assert parity_problems(_locales(tmp_path, english, russian)) == [
        "ru/shop.ftl: shop-head.hint: uses {$n}, English uses {$count}"
    ]


def test_a_syntax_error_fails_with_its_line(tmp_path):
    root = _locales(tmp_path, russian=RUSSIAN + "shop-broken = { $title\n")
    problems = parity_problems(root)
    assert problems[0].startswith("ru/shop.ftl:8: ")
    assert "shop-broken" in problems[0]
    assert "ru/shop.ftl: shop-broken: missing" not in problems  # English has none either


def test_an_id_defined_twice_fails(tmp_path):
    root = _locales(tmp_path, russian=RUSSIAN + "shop-buy-button = Купить\n")
    assert parity_problems(root) == [
        "ru/shop.ftl: shop-buy-button: defined again (first in shop.ftl); the first wins"
    ]


def test_a_reference_to_a_message_the_language_lacks_fails_to_render(tmp_path):
    root = _locales(tmp_path, russian=RUSSIAN.replace("{ shop-days }", "{ shop-dayz }"))
    problems = render_problems(root)
    assert len(problems) == 1
    assert problems[0].startswith("ru/shop.ftl: shop-line: ")
    assert "shop-dayz" in problems[0]


def test_an_unknown_term_fails_to_render(tmp_path):
    root = _locales(tmp_path, russian=RUSSIAN.replace("Купить {", "{ -brand } {"))
    problems = render_problems(root)
    assert len(problems) == 1
    assert problems[0].startswith("ru/shop.ftl: shop-buy-button: ")


def test_a_long_button_fails(tmp_path):
    long_label = "Купить { $title } " + "о" * 50  # 7 + 16 + 1 + 50 characters
    root = _locales(tmp_path, russian=RUSSIAN.replace("Купить { $title }", long_label))
    assert limit_problems(root) == ["ru/shop.ftl: shop-buy-button: 74 UTF-16 units, over 64"]


def test_an_alert_with_html_or_too_long_fails(tmp_path):
    english = ENGLISH + "shop-sold-out-alert = <b>{ $title }</b> is sold out\n"
    russian = RUSSIAN + "shop-sold-out-alert = { $title } распродан" + "!" * 180 + "\n"
    assert limit_problems(_locales(tmp_path, english, russian)) == [
        "en/shop.ftl: shop-sold-out-alert: holds HTML, but is shown as plain text",
        "ru/shop.ftl: shop-sold-out-alert: 206 UTF-16 units, over 200",
    ]


def test_a_message_over_telegrams_limit_at_its_worst_fails(tmp_path):
    # 14 string arguments of 300 characters: 4200 visible, whatever the tags around them.
    body = " ".join(f"<b>{{ $a{n} }}</b>" for n in range(14))
    root = _locales(tmp_path, ENGLISH + f"shop-all = {body}\n", RUSSIAN + f"shop-all = {body}\n")
    assert limit_problems(root) == [
        "en/shop.ftl: shop-all: 4213 UTF-16 units, over 4096",
        "ru/shop.ftl: shop-all: 4213 UTF-16 units, over 4096",
    ]


def test_a_translation_that_breaks_englishs_html_fails(tmp_path):
    """shop-usage is plain text, escaped by its caller, in both languages: not HTML to parse."""
    root = _locales(
        tmp_path,
        ENGLISH + "shop-head = <b>Shop</b>\nshop-usage = /buy <product_id>\n",
        RUSSIAN + "shop-head = <b>Магазин\nshop-usage = /buy <product_id>\n",
    )
    problems = limit_problems(root)
    assert problems == [
        "ru/shop.ftl: shop-head: Telegram would not parse its HTML, English's it would"
    ]


# --- The code's calls of t ------------------------------------------------------------------

SOURCE = """\
from bot.i18n import t
from bot import i18n
from ..i18n import t as say
import bot.i18n

NAME = "shop-line"

def texts(title, days, arguments):
    return [
        t("shop-line", title=title, days=days),
        t(NAME, title=title, days=days),
        i18n.t("shop-buy-buton", title=title),
        say("shop-buy-button", name=title),
        t("shop-buy-button", **arguments),
        bot.i18n.t("shop-line", title=title, days=days),
        str("not a call of t"),
    ]
"""


def test_the_calls_of_t_are_found_under_every_name(tmp_path):
    calls = t_calls(SOURCE, "bot/texts/shop.py", "bot.texts.shop")
    assert [(call.where, call.message_id) for call in calls] == [
        ("bot/texts/shop.py:10", "shop-line"),
        ("bot/texts/shop.py:11", None),
        ("bot/texts/shop.py:12", "shop-buy-buton"),
        ("bot/texts/shop.py:13", "shop-buy-button"),
        ("bot/texts/shop.py:14", "shop-buy-button"),
        ("bot/texts/shop.py:15", "shop-line"),
    ]


def test_a_dynamic_id_an_unknown_id_and_other_arguments_fail(tmp_path):
    english = load_language(_locales(tmp_path) / "en")
    calls = t_calls(SOURCE, "bot/texts/shop.py", "bot.texts.shop")
    assert call_problems(calls, english) == [
        "bot/texts/shop.py:11: t()'s first argument is not a string literal",
        "bot/texts/shop.py:12: shop-buy-buton is not an English message",
        "bot/texts/shop.py:13: shop-buy-button given {$name}, en/shop.ftl: shop-buy-button"
        " uses {$title}",
    ]


def test_a_message_no_code_uses_fails_unless_another_message_uses_it(tmp_path):
    english = load_language(_locales(tmp_path) / "en")
    calls = t_calls('from bot.i18n import t\nt("shop-line")\n', "bot/x.py", "bot.x")
    # shop-days is used by shop-line only: not dead.
    assert unused_messages(calls, english) == [
        "en/shop.ftl: shop-buy-button: used neither by the code nor by another message"
    ]
