"""Sales figures (/stats, `python -m bot stats`) on SQLite and PostgreSQL: periods, refunds,
holders, and goodwill grants that never count as revenue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG
from bot.services.goodwill import Goodwill
from bot.services.sales import Sales, parse_payments_count, period_starts
from entitlements import grant_for_charge
from storage import Payment, Refund, utcnow

CATALOG = load_catalog(DEFAULT_CATALOG)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


def payment(charge_id: str, paid_at: datetime, amount: int, user_id: int = 7) -> Payment:
    return Payment(
        telegram_payment_charge_id=charge_id,
        user_id=user_id,
        product_id="gold",
        total_amount=amount,
        currency="XTR",
        invoice_payload="v1:gold",
        paid_at=paid_at,
        recorded_at=paid_at,
    )


def refund(charge_id: str, amount: int, refunded_at: datetime) -> Refund:
    return Refund(
        telegram_payment_charge_id=charge_id,
        user_id=7,
        total_amount=amount,
        source="admin",
        refunded_at=refunded_at,
    )


def test_periods_start_at_midnight_utc_and_seven_and_thirty_days_back():
    assert period_starts(NOW) == [
        datetime(2026, 3, 15, tzinfo=UTC),
        NOW - timedelta(days=7),
        NOW - timedelta(days=30),
        None,
    ]


async def test_each_period_counts_its_payments_and_their_refunds(sessions):
    async with sessions() as session:
        session.add_all(
            [
                payment("today", NOW - timedelta(hours=1), 25),
                payment("yesterday", NOW - timedelta(hours=13), 100),  # 23:00 the day before
                payment("week", NOW - timedelta(days=6), 50),
                payment("month", NOW - timedelta(days=29), 75),
                payment("old", NOW - timedelta(days=400), 10),
                # Refunded today: counts in the periods its payment was made in, not "today".
                refund("week", 50, NOW - timedelta(minutes=5)),
                refund("old", 10, NOW - timedelta(days=399)),
            ]
        )
        await session.commit()

    figures = await Sales(sessions, CATALOG).figures(now=NOW)

    rows = {
        p.name: (p.totals.payments, p.totals.stars, p.totals.refunds, p.net_stars)
        for p in figures.periods
    }
    assert rows == {
        "today": (1, 25, 0, 25),
        "7 days": (3, 175, 1, 125),
        "30 days": (4, 250, 1, 200),
        "all time": (5, 260, 2, 200),
    }
    assert figures.periods[3].refund_rate == pytest.approx(0.4)


async def test_a_shop_without_payments_has_zeros_and_no_refund_rate(sessions):
    figures = await Sales(sessions, CATALOG).figures(now=NOW)
    assert all(p.totals.payments == p.totals.stars == 0 for p in figures.periods)
    assert figures.periods[0].refund_rate is None


async def test_holders_are_people_holding_everything_a_product_gives_bought_or_granted(
    sessions, writer, languages
):
    async with sessions() as session:
        # Supporter gives supporter and gold: its buyer holds Gold's keys too.
        await grant_for_charge(session, user_id=1, charge_id="c1", keys=["supporter", "gold"])
        await grant_for_charge(session, user_id=2, charge_id="c2", keys=["supporter"])
        await grant_for_charge(
            session,
            user_id=3,
            charge_id="c3",
            keys=["pro"],
            now=utcnow() - timedelta(days=40),
            duration=timedelta(days=30),
        )  # expired
        await session.commit()
    gold = CATALOG.get("gold")
    assert gold is not None
    await Goodwill(writer, languages=languages).grant(gold, 4, None, admin_id=900, command="900:1")

    figures = await Sales(sessions, CATALOG).figures()

    holders = {product.id: count for product, count in figures.holders}
    assert holders == {
        "gold": 2,
        "supporter": 1,
        "pro_month": 0,
        "club": 0,
        "poster": 0,
        "vpn_key": 0,
    }
    assert figures.periods[3].totals.payments == 0  # the grant is no payment


@pytest.mark.parametrize(
    ("args", "count"),
    [(None, 10), ("", 10), (" 3 ", 3), ("50", 50), ("51", None), ("0", None), ("x", None)],
)
def test_payments_takes_a_count_from_1_to_50(args, count):
    assert parse_payments_count(args) == count
