"""What the bot says fits one Telegram message and parses, even with real charge ids (about 130
characters), long names and the most items a text can list."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.catalog import Catalog, Product, ProductKind, load_catalog
from bot.config import DEFAULT_CATALOG
from bot.i18n import speaking, t
from bot.locales import offered_languages
from bot.outcomes import (
    AdminRefundResult,
    AdminRefundStatus,
    AfterRefund,
    BuyerReport,
    ChangeResult,
    ChangeStatus,
    ChatProblem,
    ChatProblemKind,
    ChatRight,
    ChatSetup,
    GoodwillEvent,
    GrantResult,
    GrantStatus,
    PeriodFigures,
    RevokeResult,
    SalesFigures,
    StockLine,
    SubscriptionAfterRefund,
)
from emulator import format_text, utf16_len
from entitlements import ActiveEntitlement, GrantedKey
from storage import Payment, Refund, Subscription
from storage.models import KnownUser
from storage.reports import Totals

PAID_AT = datetime(2026, 1, 2, tzinfo=UTC)
TITLE = "T" * 31 + "&"  # 32 characters, the longest title, one of them escaped


def is_cut(line: str) -> bool:
    """Whether `line` is the "…and N more" of a list cut to fit, in any language."""
    return any(_cut_pattern(language).fullmatch(line) for language in offered_languages())


def _cut_pattern(language: str) -> re.Pattern[str]:
    with speaking(language):
        example = t("common-and-more", count=987654)
    number = re.search(r"987\D?654", example)
    assert number is not None
    head, _, tail = example.partition(number.group())
    return re.compile(re.escape(head) + r"[\d\s,.]+" + re.escape(tail))


def cut_lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if is_cut(line)]


def charge_id(n: int) -> str:
    """As long as a real Stars charge id, and each one different."""
    return f"stxR{n:04d}" + "x" * 122


def visible(text: str) -> str:
    """The text as Telegram shows it; raises EntityParseError if the HTML does not parse."""
    shown, _ = format_text(text, "HTML")
    assert texts.visible_length(text) == utf16_len(shown)
    return shown


def assert_fits(text: str) -> str:
    shown = visible(text)
    assert utf16_len(shown) <= texts.MESSAGE_LIMIT
    return shown


def product(n: int = 0, *, grants: tuple[str, ...] = ("gold",)) -> Product:
    return Product(
        id=f"p{n}",
        title=TITLE,
        description="d",
        price=100_000,
        kind=ProductKind.TIMED,
        duration_days=3650,
        grants=grants,
    )


def payment(n: int) -> Payment:
    return Payment(
        id=n,
        telegram_payment_charge_id=charge_id(n),
        user_id=7,
        product_id="p0",
        total_amount=100_000,
        currency="XTR",
        invoice_payload="v1:p0:100000:n:sig",
        paid_at=PAID_AT - timedelta(days=n),
        recorded_at=PAID_AT,
    )


def refund(n: int) -> Refund:
    return Refund(
        telegram_payment_charge_id=charge_id(n),
        user_id=7,
        total_amount=100_000,
        source="admin",
        refunded_at=PAID_AT,
    )


BIG_CATALOG = Catalog(
    [product(n, grants=tuple(f"key_{k:028d}" for k in range(20))) for n in range(100)]
)
PAYMENTS = [payment(n) for n in range(20)]  # what /mypurchases reads at most, newest first
REFUNDS = {r.telegram_payment_charge_id: r for r in map(refund, range(0, 20, 2))}


# Moments as CLDR writes them, with narrow no-break spaces (U+202F).
REFUNDED_AT_PAID_AT = {
    "en": "refunded Jan 2, 2026, 12:00\u202fAM UTC",
    "ru": "возврат 2 янв. 2026\u202fг., 00:00 UTC",
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_mypurchases_with_twenty_long_payments_fits_and_says_how_many_more(language):
    active = [ActiveEntitlement(f"key_{k:028d}", None, ("c",)) for k in range(10)]

    with speaking(language):
        purchases = texts.my_purchases(active, [], PAYMENTS, REFUNDS, BIG_CATALOG, PAID_AT)
    shown = assert_fits(purchases)

    assert charge_id(0) in shown  # the newest first
    listed = sum(charge_id(n) in shown for n in range(20))
    more = shown.rstrip().split("\n")[-1]
    assert (
        charge_id(19) not in shown and re.fullmatch(rf"…\D* {20 - listed}\b\D*", more) is not None
    )
    assert "key_" + "0" * 28 in shown and REFUNDED_AT_PAID_AT[language] in shown


@pytest.mark.parametrize("language", ["en", "ru"])
def test_mypurchases_that_fits_lists_everything(language):
    with speaking(language):
        purchases = texts.my_purchases([], [], PAYMENTS[:3], {}, BIG_CATALOG, PAID_AT)
    shown = assert_fits(purchases)
    # Newest first, down to the last one's charge id: no "…and N more".
    assert all(charge_id(n) in shown for n in range(3)) and shown.endswith(charge_id(2))


SUPPORT_PAYMENTS = {
    "en": ("Recent payments:", "No payments."),
    "ru": ("Последние платежи:", "Платежей нет."),
}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    "description",
    ["x" * 2000, "<&>" * 3000, "😀" * 2500, "short"],
    ids=["2000", "escaped", "utf16", "short"],
)
def test_support_request_with_ten_payments_fits_and_keeps_the_description(description, language):
    with speaking(language):
        text = texts.support_request(
            7,
            "u" * 32,
            "N" * 64 + " " + "<" * 64,
            description,
            PAYMENTS[:10],
            REFUNDS,
            BIG_CATALOG,
        )

    shown = assert_fits(text)

    assert ("N" * 64 + " " + "<" * 64) in shown and "@" + "u" * 32 in shown
    start = description[: texts.SUPPORT_DESCRIPTION_KEPT // 2]
    assert start in shown  # the buyer's words are never crowded out by the payments
    assert charge_id(0) in shown and SUPPORT_PAYMENTS[language][0] in shown


@pytest.mark.parametrize("language", ["en", "ru"])
def test_support_request_shows_a_description_up_to_its_limit(language):
    with speaking(language):
        text = texts.support_request(7, None, "Ann", "y" * 5000, [], {}, BIG_CATALOG)
    shown = assert_fits(text)
    assert "y" * (texts.SUPPORT_DESCRIPTION_LIMIT - 1) + "…" in shown
    assert SUPPORT_PAYMENTS[language][1] in shown


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_support_prompt_is_shortened_before_escaping(language):
    with speaking(language):
        shown = assert_fits(texts.support_prompt("&" * 5000))
        assert shown.endswith("\n\n" + texts.support_describe())


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    "alert",
    [
        texts.support_nothing_to_cancel,
        texts.files_queued,
        texts.files_too_soon,
        texts.files_not_held,
        texts.files_nothing,
    ],
)
def test_support_and_files_alerts_are_plain_text_of_at_most_200(alert, language):
    with speaking(language):
        text = alert()
    assert utf16_len(text) <= texts.ALERT_LIMIT and "&" not in text and "<" not in text


@pytest.mark.parametrize(
    ("language", "recovered"),
    [
        ("en", ("Recovered payments (500", "Recovered refunds (500")),
        ("ru", ("Восстановлено платежей: 500", "Восстановлено возвратов: 500")),
    ],
)
def test_recovered_summary_with_many_charges_fits_and_shows_both_lists(language, recovered):
    payments = [charge_id(n) for n in range(500)]
    refunds = [charge_id(n) for n in range(500, 1000)]

    with speaking(language):
        shown = assert_fits(texts.recovered_summary(payments, refunds, 1000))

    assert all(head in shown for head in recovered)
    assert charge_id(0) in shown and charge_id(500) in shown
    assert len(cut_lines(shown)) == 2


@pytest.mark.parametrize("language", ["en", "ru"])
def test_recovered_summary_escapes_charge_ids(language):
    with speaking(language):
        shown = assert_fits(texts.recovered_summary(["a<b&c"], [], 1))
    assert "a<b&c" in shown


def confirmation_of_many_keys(catalog: Catalog) -> str:
    keys = [f"key_{k:028d}" for k in range(200)]
    granted = [GrantedKey(key, starts_at=PAID_AT, expires_at=PAID_AT) for key in keys]
    return texts.payment_confirmation(product(grants=tuple(keys)), granted, charge_id(1))


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    ("build", "endings"),
    [
        (
            texts.shop,
            {
                "en": "Press a button to get an invoice.",
                "ru": "Нажмите кнопку, чтобы получить счёт.",
            },
        ),
        (texts.welcome, {"en": "/help: list the commands", "ru": "/help: список команд"}),
        (texts.buy_usage, {"en": "p99.", "ru": "p99."}),
        (
            lambda catalog: texts.unknown_product(catalog, "<b>" * 1500),
            {"en": "p99.", "ru": "p99."},
        ),
        (confirmation_of_many_keys, {"en": charge_id(1), "ru": charge_id(1)}),
    ],
    ids=["shop", "welcome", "buy_usage", "unknown_product", "payment_confirmation"],
)
def test_catalog_texts_fit_with_a_hundred_products(build, endings, language):
    with speaking(language):
        text = build(BIG_CATALOG)
    shown = assert_fits(text)
    assert shown.endswith(endings[language])


@pytest.mark.parametrize(("language", "quotes"), [("en", "''"), ("ru", "«»")])
def test_unknown_product_echoes_at_most_forty_characters_escaped(language, quotes):
    with speaking(language):
        text = texts.unknown_product(load_catalog(DEFAULT_CATALOG), "<&>" + "z" * 4000)
    shown = visible(text)
    assert quotes[0] + "<&>" + "z" * (texts.ASKED_LIMIT - 4) + "…" + quotes[1] in shown
    assert "z" * texts.ASKED_LIMIT not in shown


def test_shop_escapes_what_a_product_gives():
    # The catalog refuses such keys; the text escapes them anyway.
    odd = Product.model_construct(
        id="odd",
        titles=(("en", "Odd"),),
        descriptions=(("en", "d"),),
        price=1,
        kind=ProductKind.ONE_TIME,
        grants=("<b>", "R&D"),
    )
    assert "gives <b>, R&D (forever)" in visible(texts.shop(Catalog([odd])))


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    "build",
    [
        lambda: texts.refund_unknown("<" * 4090),
        lambda: texts.refund_failed("&" * 4090),
        lambda: texts.refund_outcome_unknown(">" * 4090),
        lambda: texts.refund_gave_up("<" * 4090),
        lambda: texts.refund_already(
            Refund(
                telegram_payment_charge_id="c",
                user_id=7,
                total_amount=1,
                source="admin",
                admin_id=1,
                reason="<" * 4090,
                refunded_at=PAID_AT,
            )
        ),
    ],
    ids=["unknown", "failed", "outcome_unknown", "gave_up", "already"],
)
def test_refund_texts_that_quote_someone_are_shortened_before_escaping(build, language):
    with speaking(language):
        assert_fits(build())


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abc", 3, "abc"),
        ("abcd", 3, "ab…"),
        ("a😀b", 3, "a…"),  # never half of a surrogate pair
        ("😀😀", 4, "😀😀"),
    ],
)
def test_shorten_counts_utf16_units(text, limit, expected):
    assert texts.shorten(text, limit) == expected


@pytest.mark.parametrize(
    ("room", "expected"),
    [
        (11, "…and 5 more"),
        (16, "aaaa\n…and 4 more"),
        (21, "aaaa\n…and 4 more"),
        (22, "aaaa\nb&bbb\n…and 3 more"),
        (24, "aaaa\nb&bbb\n…and 3 more"),
        (25, "aaaa\nb&bbb\ncccc\ndddd\neeee"),  # all of it fits: no "more" to make room for
    ],
)
def test_fit_lines_shows_what_fits_in_the_room_and_counts_the_rest(room, expected):
    fitted = texts.fit_lines(["<b>aaaa</b>", "b&amp;bbb", "cccc", "dddd", "eeee"], room)
    assert visible(fitted) == expected
    assert utf16_len(expected) <= room


def test_fit_message_gives_the_list_the_room_its_head_and_tail_leave():
    lines = [f"<code>{n:04d}</code>" for n in range(2000)]
    head, tail = "<b>Head</b>\n", "\nTail &amp; end"
    shown = assert_fits(texts.fit_message(head, lines, tail))
    assert shown.startswith("Head\n0000\n") and shown.endswith(" more\nTail & end")
    assert utf16_len(shown) > texts.MESSAGE_LIMIT - 20  # no room wasted
    assert texts.fit_message(head, lines[:3], tail, ", ") == f"{head}{', '.join(lines[:3])}{tail}"


def test_plain_drops_telegrams_tags_and_keeps_broken_markup_readable():
    html = '<b>Gold</b> &amp; <a href="tg://user?id=1">you</a>: 2 < 3, <i>R&D</b> <blink>'
    assert texts.plain(html) == "Gold & you: 2 < 3, R&D <blink>"


@pytest.mark.parametrize(
    "alert",
    [
        texts.apology(),
    ],
    ids=[
        "sorry",
    ],
)
def test_button_alerts_are_plain_text_of_at_most_200(alert):
    # answerCallbackQuery takes no parse mode: an entity would show as "&lt;".
    assert utf16_len(alert) <= texts.ALERT_LIMIT
    assert "&lt;" not in alert and "&amp;" not in alert


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    "build",
    [
        lambda: texts.refund_already_alert(
            Refund(
                telegram_payment_charge_id="c",
                user_id=7,
                total_amount=1,
                source="elsewhere",
                admin_id=10**15,
                reason="<b>" * 4000,
                refunded_at=PAID_AT,
            )
        ),
        lambda: texts.refund_already_alert(refund(1)),
        texts.payment_gone,
        texts.refunding,
    ],
    ids=["refunded-long-reason", "refunded", "gone", "refunding"],
)
def test_refund_alerts_are_plain_text_of_at_most_200(build, language):
    with speaking(language):
        alert = build()
    assert utf16_len(alert) <= texts.ALERT_LIMIT
    assert "&lt;" not in alert and "&amp;" not in alert


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("revoked", [1, 0])
@pytest.mark.parametrize("instead", [True, False])
def test_refund_texts_say_what_changed_and_fit(revoked, instead, language):
    refunded, other = payment(1), (payment(2) if instead else None)
    with speaking(language):
        notice = assert_fits(
            texts.refund_notice(refunded, product(), revoked=revoked, granted_instead=other)
        )
        done = assert_fits(
            texts.refund_done(
                refunded, product(), elsewhere=False, revoked=revoked, granted_instead=other
            )
        )
    assert charge_id(1) in notice and charge_id(1) in done
    assert (charge_id(2) in notice and charge_id(2) in done) is instead
    if language != "en":
        return
    if instead:
        assert "You keep" in notice and charge_id(2) in notice
        assert "do not refund that one" in done and charge_id(2) in done
    elif revoked:
        assert "access it gave has ended" in notice and "access it gave has ended" in done
    else:
        assert "had not given you anything" in notice and "granted nothing" in done


# -- operators' texts ---------------------------------------------------------------------


def figures() -> SalesFigures:
    big = Totals(10**9, 10**14, 10**9, 10**14)
    return SalesFigures(
        as_of=PAID_AT,
        periods=tuple(PeriodFigures(name, big) for name in ("today", "7 days", "30 days", "all")),
        holders=tuple((p, 10**9) for p in BIG_CATALOG),
    )


@pytest.mark.parametrize(
    ("language", "figure", "rate"),
    [
        ("en", "100,000,000,000,000", "100.0%"),
        ("ru", "100\xa0000\xa0000\xa0000\xa0000", "100,0\xa0%"),
    ],
)
def test_stats_with_a_hundred_products_and_huge_figures_fits(language, figure, rate):
    with speaking(language):
        shown = assert_fits(texts.sales_report(figures()))
    assert figure in shown and rate in shown
    assert is_cut(shown.rstrip().split("\n")[-1])


@pytest.mark.parametrize(("language", "first_column"), [("en", "period"), ("ru", "период")])
def test_stats_table_lines_up_in_a_monospace_block(language, first_column):
    with speaking(language):
        html = texts.sales_report(figures())
    table = html.split("<pre>")[1].split("</pre>")[0].splitlines()
    assert len({len(line) for line in table}) == 1 and table[0].startswith(first_column)


@pytest.mark.parametrize(("language", "refunded"), [("en", "refunded"), ("ru", "возврат")])
def test_fifty_payments_with_long_charge_ids_fit_as_tap_to_copy_code(language, refunded):
    rows = [(payment(n), refund(n) if n % 2 else None) for n in range(50)]
    with speaking(language):
        html = texts.payments_list(rows, BIG_CATALOG)
    shown = assert_fits(html)
    assert f"<code>{charge_id(0)}</code>" in html and refunded in shown
    assert is_cut(shown.rstrip().split("\n")[-1])


@pytest.mark.parametrize(
    ("language", "parts"),
    [
        ("en", ("Holds now:", "Goodwill (not revenue):", "(goodwill grant:0)")),
        ("ru", ("Сейчас есть:", "Бесплатные выдачи (не выручка):", "(бесплатно: grant:0)")),
    ],
)
def test_a_buyer_with_everything_fits_and_keeps_room_for_each_part(language, parts):
    history = tuple(
        GoodwillEvent(n % 2 == 0, "p1", 30, 10**15, PAID_AT, (f"grant:{10**12 + n}",))
        for n in range(200)
    )
    report = BuyerReport(
        user_id=10**15,
        known=KnownUser(
            user_id=10**15, username="u" * 32, full_name="<N>" * 60, updated_at=PAID_AT
        ),
        totals=Totals(10**6, 10**11, 10**5, 10**10),
        payments=tuple((payment(n), refund(n)) for n in range(20)),
        active=tuple(
            ActiveEntitlement(f"key_{k:028d}", PAID_AT, ("c", f"grant:{k}")) for k in range(200)
        ),
        goodwill=history,
    )

    with speaking(language):
        shown = assert_fits(texts.buyer_report(report, BIG_CATALOG))

    assert "@" + "u" * 32 in shown and "<N>" in shown
    assert all(part in shown for part in parts) and charge_id(0) in shown


@pytest.mark.parametrize(
    "text",
    [
        texts.balance_failed("<" * 5000),
        texts.user_not_found("<" * 5000),
    ],
    ids=["balance", "user_not_found"],
)
def test_operator_texts_fit(text):
    assert_fits(text)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    "build",
    [
        lambda: texts.unknown_product_for_admin(BIG_CATALOG, "<" * 4000),
        lambda: texts.revoke_done(
            RevokeResult(("grant:1",), tuple(charge_id(n) for n in range(500))), product(), 7
        ),
        lambda: texts.grant_done(
            GrantResult(
                GrantStatus.GRANTED,
                "grant:1",
                tuple(GrantedKey(f"key_{k:028d}", PAID_AT, None) for k in range(500)),
            ),
            product(),
            7,
        ),
    ],
    ids=["unknown_product", "revoke", "grant"],
)
def test_goodwill_texts_fit(build, language):
    with speaking(language):
        assert_fits(build())


def stock_line(n: int) -> StockLine:
    return StockLine(product(n), left=10**9, sold=10**9, reserved=10**9)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    "build",
    [
        lambda: texts.balance_failed("<" * 5000),
        lambda: texts.user_not_found("<" * 5000),
        lambda: texts.reconcile_failed("<" * 4090),
        lambda: texts.export_too_large(10.0**6),
        lambda: texts.star_balance(10**15, 999_999_999),
        lambda: texts.sold_out_apology(product(), 10**9, charge_id(1)),
        lambda: texts.stock_low_notice(product().model_copy(update={"codes": True}), 1),
        lambda: texts.stock_out_notice(product()),
        lambda: texts.ids_answer(10**15, -(10**15), supergroup=False, managed=False),
    ],
    ids=[
        "balance_failed",
        "user_not_found",
        "reconcile_failed",
        "export_too_large",
        "star_balance",
        "sold_out_apology",
        "stock_low",
        "stock_out",
        "ids",
    ],
)
def test_admin_and_stock_texts_fit_in_both_languages(build, language):
    with speaking(language):
        assert_fits(build())


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_stock_report_of_a_thousand_products_fits_and_keeps_its_note(language):
    lines = [stock_line(n) for n in range(1000)]
    with speaking(language):
        shown = assert_fits(texts.stock_report(lines))
        note = texts.plain(texts.stock_report(lines[:1]).split("\n\n")[-1])
    assert shown.endswith(note) and cut_lines(shown)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_not_allowed_alert_is_plain_text_of_at_most_200(language):
    with speaking(language):
        alert = texts.not_allowed_button()
    assert utf16_len(alert) <= texts.ALERT_LIMIT and texts.plain(alert) == alert


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_bot_made_admin_notice_fits_escapes_and_keeps_the_id_whole(language):
    with speaking(language):
        notice = texts.admin_bot_made_admin(
            -1001234567890,
            "<b>" * 60,
            "channel",
            missing=[ChatRight.INVITE_USERS],
            keys=[f"key_{k:028d}" for k in range(500)],
            by="&" * 200,
        )

    shown = assert_fits(notice)
    assert "<b><b>" in shown and "&&&" in shown and "-1001234567890" in shown


# A chat the bot is no administrator of, one where it lacks a right, and one it cannot use.
UNMANAGEABLE = [
    ChatSetup(
        -1001,
        "Club",
        tuple(ChatProblem(ChatProblemKind.NOT_ADMIN, right) for right in ChatRight),
    ),
    ChatSetup(
        -1002, None, (ChatProblem(ChatProblemKind.LACKS_RIGHT, ChatRight.RESTRICT_MEMBERS),)
    ),
    ChatSetup(-1003, "Basic", (ChatProblem(ChatProblemKind.NOT_JOINABLE, detail="group"),)),
]
# The English of those problems, as the admins (and `bot check`) have always read it.
ENGLISH_PROBLEMS = [
    "✗ chat -1001 (Club): the bot is not an administrator, so it cannot invite users via link "
    "(can_invite_users)",
    "✗ chat -1001 (Club): the bot is not an administrator, so it cannot ban users "
    "(can_restrict_members)",
    "✗ chat -1002: the bot lacks the right to ban users (can_restrict_members)",
    "✗ chat -1003 (Basic): it is a group: only supergroups and channels take join requests; "
    "convert it to a supergroup (and put the new id in the catalog)",
]
ENGLISH_WORDS = re.compile(
    r"\b(chat|the bot|administrator|cannot|lacks|right|invite|ban|users|group|supergroups?)\b"
)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_access_setup_notice_says_what_is_wrong_in_the_admins_language(language):
    with speaking(language):
        notice = texts.admin_access_setup(UNMANAGEABLE)

    lines = visible(notice).splitlines()[1:]
    if language == "en":
        assert lines == ENGLISH_PROBLEMS
        return
    assert len(lines) == len(ENGLISH_PROBLEMS)
    # The rights' Bot API names stay, as Telegram's settings name them; the rest is Russian.
    assert "(can_invite_users)" in lines[0] and "(can_restrict_members)" in lines[2]
    without_api_names = re.sub(r"\((can_\w+)\)", "", "\n".join(lines))
    assert not ENGLISH_WORDS.search(without_api_names), lines


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_bot_made_admin_notice_names_the_missing_rights_in_the_admins_language(language):
    with speaking(language):
        notice = texts.admin_bot_made_admin(
            -1001, "Club", "supergroup", missing=list(ChatRight), keys=["club"], by="Ann"
        )

    lacks = visible(notice).splitlines()[-1]
    if language == "en":
        assert lacks == (
            "The bot still lacks the right to invite users via link (can_invite_users) and to "
            "ban users (can_restrict_members): give it in the chat's administrator settings, "
            "until then buyers cannot join."
        )
        return
    assert "(can_invite_users)" in lacks and "(can_restrict_members)" in lacks
    assert not ENGLISH_WORDS.search(re.sub(r"\((can_\w+)\)", "", lacks)), lacks


def test_bot_check_names_the_problems_in_english_outside_any_language():
    setup = UNMANAGEABLE[1]
    line = f"✗ {texts.chat_setup_name(setup)}: {texts.chat_problem(setup.problems[0])}"
    assert line == ENGLISH_PROBLEMS[2]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_export_caption_fits_a_document_caption(language):
    with speaking(language):
        caption = texts.export_caption(10**9, PAID_AT, PAID_AT)
    assert utf16_len(visible(caption)) <= 1024


def test_every_admin_command_fits_the_menu():
    for name, about in texts.admin_commands().items():
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name) and 1 <= len(about) <= 256


def subscription(
    n: int, *, is_canceled: bool = False, ended_at: datetime | None = None
) -> Subscription:
    return Subscription(
        id=n,
        telegram_payment_charge_id=charge_id(n),
        user_id=7,
        product_id="p0",
        invoice_payload="v1:p0:100000:n:sig",
        subscription_expiration_date=PAID_AT + timedelta(days=30),
        is_canceled=is_canceled,
        ended_at=ended_at,
    )


SUBSCRIPTIONS = [
    subscription(n, is_canceled=n % 3 == 1, ended_at=PAID_AT if n % 3 == 2 else None)
    for n in range(300)
]


SUBSCRIPTION_STATES = {
    "en": (
        "renews on Feb 1, 2026, 12:00\u202fAM UTC",
        "cancelled, ends on Feb 1, 2026",
        "ended on Jan 2, 2026",
    ),
    "ru": (
        "продлится 1 февр. 2026\u202fг., 00:00 UTC",
        "отменена, действует до 1 февр. 2026",
        "закончилась 2 янв. 2026",
    ),
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_hundred_subscriptions_fit_their_list_with_their_states(language):
    with speaking(language):
        shown = assert_fits(texts.subscriptions_list(SUBSCRIPTIONS, BIG_CATALOG, PAID_AT))
    assert shown.split("\n")[-3].startswith("…")  # how many more; the note on cancelling after
    for state in SUBSCRIPTION_STATES[language]:
        assert state in shown


def test_a_hundred_subscriptions_fit_mypurchases():
    active = [ActiveEntitlement(f"key_{k:028d}", None, ("c",)) for k in range(100)]
    purchases = texts.my_purchases(active, SUBSCRIPTIONS, PAYMENTS, REFUNDS, BIG_CATALOG, PAID_AT)
    shown = assert_fits(purchases)
    assert "Subscriptions (/subscriptions to cancel or resume)" in shown
    assert charge_id(0) in shown  # the newest payment still shows


NEXT_RENEWAL_AT_PAID_AT = {
    "en": "Next renewal on Jan 2, 2026, 12:00\u202fAM UTC",
    "ru": "Следующее продление — 2 янв. 2026\u202fг., 00:00 UTC",
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_subscription_confirmation_with_many_keys_fits_and_keeps_the_renewal_date(language):
    granted = [GrantedKey(f"key_{k:028d}", PAID_AT, PAID_AT) for k in range(500)]
    for first in (True, False):
        with speaking(language):
            confirmation = texts.subscription_confirmation(
                product(), 10_000, granted, charge_id(1), first=first, renews_on=PAID_AT
            )
        shown = assert_fits(confirmation)
        assert NEXT_RENEWAL_AT_PAID_AT[language] in shown and charge_id(1) in shown


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    "outcome", [AfterRefund.CANCELED, AfterRefund.UNCHANGED, AfterRefund.FAILED]
)
@pytest.mark.parametrize("ended", [True, False])
def test_what_a_refund_did_to_a_subscription_is_one_short_line(outcome, ended, language):
    after = SubscriptionAfterRefund(
        outcome, subscription(1, ended_at=PAID_AT if ended else None), error="<" * 5000
    )
    with speaking(language):
        shown = assert_fits(texts.subscription_after_refund(after, PAID_AT))
    assert len(shown) < 500 and "\n" not in shown


@pytest.mark.parametrize("language", ["en", "ru"])
def test_renewal_alerts_are_plain_text_of_at_most_200(language):
    results = [
        ChangeResult(ChangeStatus.DONE, subscription(1, is_canceled=True)),
        ChangeResult(ChangeStatus.DONE, subscription(1)),
        ChangeResult(ChangeStatus.FAILED, subscription(1), "<b>" * 2000),
        ChangeResult(ChangeStatus.UNCHANGED, subscription(1)),
        ChangeResult(ChangeStatus.NOT_FOUND),
    ]
    for result in results:
        with speaking(language):
            alert = texts.renewal_changed(result)
        assert utf16_len(alert) <= texts.ALERT_LIMIT and "&lt;" not in alert


CLUB = Product(
    id="club",
    title=TITLE,
    description="<" * 255,
    price=10_000,
    kind=ProductKind.SUBSCRIPTION,
    grants=("club",),
)


@pytest.mark.parametrize(
    ("language", "more_days"),
    [("en", "add 3,650 more days"), ("ru", "ещё на 3\xa0650 дней")],
)
def test_reminders_fit(language, more_days):
    with speaking(language):
        assert_fits(texts.reminder_subscription(CLUB, PAID_AT))
        assert more_days in assert_fits(texts.reminder_timed(product(), PAID_AT))


@pytest.mark.parametrize(
    ("language", "price"), [("en", "10,000 ⭐ a month"), ("ru", "10\u00a0000 ⭐ в месяц")]
)
def test_the_subscription_offer_fits_with_the_longest_title_and_description(language, price):
    club = Product(
        id="club",
        title=TITLE,
        description="<" * 255,
        price=10_000,
        kind=ProductKind.SUBSCRIPTION,
        grants=("club",),
    )
    with speaking(language):
        offer = texts.subscription_offer(club)
    shown = assert_fits(offer)
    assert f"{TITLE}, {price}\n" + "<" * 255 + "\n\n" in shown


@pytest.mark.parametrize(
    ("status", "says", "says_in_russian"),
    [
        (AdminRefundStatus.REFUNDED, "Refunded 100,000 ⭐ for", "Возвращено 100\xa0000 ⭐ за"),
        (
            AdminRefundStatus.REFUNDED_ELSEWHERE,
            "already refunded elsewhere",
            "уже возвращён в другом месте",
        ),
        (AdminRefundStatus.ALREADY_REFUNDED, "Already refunded on", "Платёж уже возвращён"),
        (
            AdminRefundStatus.GAVE_UP,
            "“too many requests”, so I gave up",
            "«слишком много запросов», и я прекратил попытки",
        ),
        (
            AdminRefundStatus.NOT_RECORDED,
            "the database failed to record it",
            "база данных не смогла это записать",
        ),
        (
            AdminRefundStatus.FAILED,
            "The refund failed: Telegram said “unknown error”",
            "Возврат не удался: Telegram ответил «неизвестная ошибка»",
        ),
        (
            AdminRefundStatus.OUTCOME_UNKNOWN,
            "Unknown whether Telegram refunded it: no answer",
            "Неизвестно, вернул ли Telegram платёж: нет ответа",
        ),
        (
            AdminRefundStatus.UNKNOWN_PAYMENT,
            "No payment with that charge id",
            "Платежа с таким id",
        ),
    ],
)
def test_an_admin_refund_reads_as_what_happened(status, says, says_in_russian):
    result = AdminRefundResult(status, payment(1), refund(1))
    assert says in assert_fits(texts.refund_outcome(result, BIG_CATALOG, charge_id(1)))
    with speaking("ru"):
        shown = assert_fits(texts.refund_outcome(result, BIG_CATALOG, charge_id(1)))
    assert says_in_russian in shown


def test_texts_import_no_service_and_settings_import_no_texts():
    """What the bot says depends on plain values only; settings only measure text."""
    presentation = ["bot.texts", *(f"bot.keyboards.{p.stem}" for p in KEYBOARDS.glob("*.py"))]
    for start, kept_out in [
        (presentation, ("bot.services", "bot.routers")),
        (["bot.config"], ("bot.texts",)),
    ]:
        reached = imported_from(start)
        assert not [m for m in reached if m.startswith(kept_out)], start


REPO_ROOT = Path(__file__).resolve().parents[2]
KEYBOARDS = REPO_ROOT / "bot" / "keyboards"


def imported_from(modules: list[str]) -> set[str]:
    """The project's modules that `modules` import, directly or through others (read from the
    source: an import a module makes is an import whatever runs it)."""
    seen: set[str] = set()
    waiting = list(modules)
    while waiting:
        module = waiting.pop()
        path = _source_of(module)
        if module in seen or path is None:
            continue
        seen.add(module)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                waiting += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                waiting.append(node.module)
                waiting += [f"{node.module}.{alias.name}" for alias in node.names]
        # Importing a module runs its package's __init__ first.
        waiting += [module.rsplit(".", n)[0] for n in range(1, module.count(".") + 1)]
    return seen


def _source_of(module: str) -> Path | None:
    """The file of one of the project's modules; None for anything else (aiogram, stdlib)."""
    base = REPO_ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def test_a_confirmation_of_something_with_nothing_to_hold_lists_no_empty_holdings():
    tip = Product(id="tip", title="Tip", description="d", price=5, kind=ProductKind.CONSUMABLE)
    shown = visible(texts.payment_confirmation(tip, [], charge_id(1)))
    assert "You bought Tip for 5 ⭐." in shown and "You now have" not in shown
    coded = visible(texts.payment_confirmation(tip, [], charge_id(1), secret="K<1>"))
    assert "Your code: K<1>" in coded and "You now have" not in coded
