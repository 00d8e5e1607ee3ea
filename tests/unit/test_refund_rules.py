"""Refund rules without Telegram: /refund's arguments, Telegram's errors, the admin refund step
against a stand-in for refundStarPayment, and what support requests offer to refund."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import RefundStarPayment

from bot import texts
from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG
from bot.i18n import speaking
from bot.keyboards.refunds import RefundButton, RefundStep, refund_keyboard
from bot.outcomes import AdminRefundStatus
from bot.services.languages import UserLanguages
from bot.services.refunds import (
    RefundCommand,
    Refunds,
    RefundSource,
    classify_refund_error,
    parse_refund_args,
)
from bot.services.support import refundable
from emulator import format_text, utf16_len
from entitlements import grant_for_charge, has, list_active
from storage import Payment, PaymentRepository, Refund, RefundRepository, utcnow

CALL = RefundStarPayment(user_id=7, telegram_payment_charge_id="stx1")
NGINX_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>...</body></html>"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("stx1", RefundCommand("stx1", None)),
        ("stx1   ", RefundCommand("stx1", None)),
        ("stx1  never delivered, sorry ", RefundCommand("stx1", "never delivered, sorry")),
    ],
)
def test_parse_refund_args(args, expected):
    assert parse_refund_args(args) == expected


@pytest.mark.parametrize(
    ("error", "status", "said"),
    [
        (
            TelegramBadRequest(CALL, "Bad Request: CHARGE_ALREADY_REFUNDED"),
            AdminRefundStatus.REFUNDED_ELSEWHERE,
            "Bad Request: CHARGE_ALREADY_REFUNDED",
        ),
        (
            TelegramBadRequest(CALL, "Bad Request: CHARGE_NOT_FOUND"),
            AdminRefundStatus.FAILED,
            "Bad Request: CHARGE_NOT_FOUND",
        ),
        (
            TelegramRetryAfter(CALL, "Too Many Requests: retry after 7", retry_after=7),
            AdminRefundStatus.GAVE_UP,
            "Too Many Requests: retry after 7",
        ),
        (
            TelegramForbiddenError(CALL, "Forbidden: bot was blocked"),
            AdminRefundStatus.FAILED,
            "Forbidden: bot was blocked",
        ),
        (
            TelegramEntityTooLarge(CALL, "Request Entity Too Large"),
            AdminRefundStatus.FAILED,
            "Request Entity Too Large",
        ),
        (
            TelegramServerError(CALL, "Internal Server Error"),
            AdminRefundStatus.OUTCOME_UNKNOWN,
            "Internal Server Error",
        ),
        (
            TelegramNetworkError(CALL, "Request timeout error"),
            AdminRefundStatus.OUTCOME_UNKNOWN,
            "Request timeout error",
        ),
        (
            ClientDecodeError("Failed to decode object", ValueError("Expecting value"), NGINX_502),
            AdminRefundStatus.OUTCOME_UNKNOWN,
            "Telegram answered with an error page (502 Bad Gateway)",
        ),
        (TimeoutError(), AdminRefundStatus.OUTCOME_UNKNOWN, "Telegram did not answer in time"),
    ],
    ids=["already-refunded", "400", "429", "403", "413", "500", "network", "502-html", "timeout"],
)
def test_classify_refund_error(error, status, said):
    assert classify_refund_error(error) == (status, said)


def test_refund_sources_are_stored_as_before():
    assert [source.value for source in RefundSource] == [
        "admin",
        "telegram",
        "reconcile",
        "elsewhere",
        "sold_out",
    ]


# -- Refunds.refund against a stand-in Bot -----------------------------------------------------


class FakeBot:
    """Answers refundStarPayment with `error` (raised) or `result`, and counts the calls."""

    def __init__(self, error: BaseException | None = None, *, result: bool = True) -> None:
        self.error = error
        self.result = result
        self.calls: list[tuple[int, str]] = []

    async def refund_star_payment(self, user_id: int, telegram_payment_charge_id: str) -> bool:
        self.calls.append((user_id, telegram_payment_charge_id))
        if self.error is not None:
            raise self.error
        return self.result


def make_payment(charge_id: str = "stx1", user_id: int = 7, row_id: int | None = None) -> Payment:
    now = utcnow()
    return Payment(
        id=row_id,
        telegram_payment_charge_id=charge_id,
        user_id=user_id,
        product_id="gold",
        total_amount=25,
        currency="XTR",
        invoice_payload="v1:gold:25:n:sig",
        paid_at=datetime(2026, 1, 2, tzinfo=UTC),
        recorded_at=now,
    )


@pytest.fixture
async def paid(sessions):
    """A gold payment of user 7 (charge stx1), granted."""
    async with sessions() as session:
        await PaymentRepository(session).add(make_payment())
        await grant_for_charge(session, user_id=7, charge_id="stx1", keys=["gold"])
        await session.commit()
    return sessions


def refunds_with(bot: FakeBot, writer, readers, locks) -> Refunds:
    languages = UserLanguages(writer, readers, default="en")
    catalog = load_catalog(DEFAULT_CATALOG)
    return Refunds(cast(Bot, bot), writer, readers, locks, catalog, languages=languages)


async def refund_and_access(sessions) -> tuple[Refund | None, bool]:
    async with sessions() as session:
        return await RefundRepository(session).get("stx1"), await has(session, 7, "gold")


@pytest.mark.parametrize(
    "error",
    [
        TelegramNetworkError(CALL, "ClientConnectorError: Cannot connect to host"),
        TelegramNetworkError(CALL, "Request timeout error"),
        TimeoutError(),
    ],
    ids=["connection", "aiohttp-timeout", "timeout"],
)
async def test_refund_that_fails_on_the_network_records_nothing_and_is_unknown(
    paid, writer, error, locks
):
    bot = FakeBot(error)
    result = await refunds_with(bot, writer, paid, locks).refund("stx1", admin_id=1)
    assert result.status is AdminRefundStatus.OUTCOME_UNKNOWN and result.error
    assert bot.calls == [(7, "stx1")]
    assert await refund_and_access(paid) == (None, True)


async def test_refund_answered_false_is_not_recorded_as_done(paid, writer, locks):
    bot = FakeBot(result=False)
    result = await refunds_with(bot, writer, paid, locks).refund("stx1", admin_id=1)
    assert (result.status, result.error) == (
        AdminRefundStatus.OUTCOME_UNKNOWN,
        "Telegram answered False",
    )
    assert await refund_and_access(paid) == (None, True)


def test_admin_is_told_an_unknown_outcome_is_unknown_and_a_refusal_changed_nothing():
    unknown = texts.refund_outcome_unknown("Internal Server Error")
    assert "Internal Server Error" in unknown and "Nothing changed" not in unknown
    assert "Nothing was recorded" in unknown and "/reconcile" in unknown
    assert "Nothing changed" in texts.refund_failed("Bad Request: CHARGE_NOT_FOUND")


async def test_refund_that_succeeds_is_recorded_with_admin_and_reason(paid, writer, locks):
    bot = FakeBot()
    refunds = refunds_with(bot, writer, paid, locks)
    result = await refunds.refund("stx1", admin_id=1, reason="why")
    assert result.status is AdminRefundStatus.REFUNDED
    refund, access = await refund_and_access(paid)
    assert refund is not None and (refund.source, refund.admin_id, refund.reason) == (
        "admin",
        1,
        "why",
    )
    assert not access
    again = await refunds.refund("stx1", admin_id=2)
    assert again.status is AdminRefundStatus.ALREADY_REFUNDED
    assert len(bot.calls) == 1


async def test_refund_of_an_unknown_charge_does_not_ask_telegram(sessions, writer, locks):
    bot = FakeBot()
    result = await refunds_with(bot, writer, sessions, locks).refund("nope", admin_id=1)
    assert result.status is AdminRefundStatus.UNKNOWN_PAYMENT
    assert bot.calls == []


# -- what a support request offers to refund ------------------------------------------------


def test_only_payments_without_a_refund_are_refundable():
    first, second = make_payment("stx1", row_id=1), make_payment("stx2", row_id=2)
    refund = Refund(
        telegram_payment_charge_id="stx1",
        user_id=7,
        total_amount=25,
        source="admin",
        refunded_at=utcnow(),
    )
    assert refundable([first, second], {"stx1": refund}) == [second]


def test_refund_buttons_name_the_payment_row_within_64_bytes():
    long_charge = "stx" + "A" * 200  # Telegram's charge ids alone can pass the limit
    payment = make_payment(long_charge, row_id=2**62)
    keyboard = refund_keyboard([payment], load_catalog(DEFAULT_CATALOG))
    assert keyboard is not None
    [[button]] = keyboard.inline_keyboard
    assert button.text == "Refund Gold badge, 25 ⭐, Jan 2, 2026"
    with speaking("ru"):
        russian = refund_keyboard([payment], load_catalog(DEFAULT_CATALOG))
    assert russian is not None
    assert (
        russian.inline_keyboard[0][0].text == "Вернуть Золотой значок, 25 ⭐, 2 янв. 2026\u202fг."
    )
    assert button.callback_data is not None and len(button.callback_data.encode()) <= 64
    assert button.callback_data.startswith("adm:")
    unpacked = RefundButton.unpack(button.callback_data)
    assert (unpacked.step, unpacked.payment_id) == (RefundStep.ASK, 2**62)
    assert refund_keyboard([], load_catalog(DEFAULT_CATALOG)) is None


def test_support_request_escapes_and_trims_what_the_buyer_wrote():
    text = texts.support_request(
        7, "ann", "Ann <3", "<b>" * 2000, [make_payment()], {}, load_catalog(DEFAULT_CATALOG)
    )
    assert "<b>" not in text and "Ann &lt;3" in text and "@ann" in text
    assert text.count("&lt;b&gt;") < 2000 and "…" in text
    assert "Gold badge, 25 ⭐, Jan 2, 2026, 12:00\u202fAM UTC, not refunded" in text
    shown, _ = format_text(text, "HTML")
    assert utf16_len(shown) <= 4096  # Telegram's limit, counted after entity parsing


async def add_payments(sessions, *charge_ids: str) -> None:
    """More gold payments of user 7 that granted nothing (kept as "already owned")."""
    async with sessions() as session:
        for charge_id in charge_ids:
            await PaymentRepository(session).add(make_payment(charge_id))
        await session.commit()


async def active_charges(sessions) -> list[str]:
    async with sessions() as session:
        [active] = await list_active(session, 7)
    return list(active.charge_ids)


async def test_refund_lets_the_oldest_waiting_payment_grant_one_at_a_time(paid, writer, locks):
    refunds = refunds_with(FakeBot(), writer, paid, locks)
    await add_payments(paid, "stx2", "stx3")

    first = await refunds.record_reported("stx1")
    assert first.granted_instead is not None
    assert first.granted_instead.telegram_payment_charge_id == "stx2"
    assert await active_charges(paid) == ["stx2"]

    second = await refunds.record_reported("stx2")
    assert second.granted_instead is not None
    assert second.granted_instead.telegram_payment_charge_id == "stx3"
    assert await active_charges(paid) == ["stx3"]


async def test_no_payment_grants_instead_once_refunded_or_while_the_key_is_held(
    paid, writer, locks
):
    refunds = refunds_with(FakeBot(), writer, paid, locks)
    await add_payments(paid, "stx2")
    # The waiting payment was refunded first: it granted nothing, and changes nothing.
    waiting = await refunds.record_reported("stx2")
    assert (waiting.revoked, waiting.granted_instead) == (0, None)
    async with paid() as session:  # and the key is also held through another charge
        await grant_for_charge(session, user_id=7, charge_id="stx9", keys=["gold"])
        await session.commit()

    refunded = await refunds.record_reported("stx1")

    assert (refunded.revoked, refunded.granted_instead) == (1, None)
    assert await active_charges(paid) == ["stx9"]
