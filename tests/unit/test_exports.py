"""The CSV export: one row per charge that reads back as the database holds it, whole UTC days
both included, and a progress bar that only a terminal sees."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.progress import ProgressBar
from bot.services.exports import COLUMNS, ExportRangeError, Exports, day_bounds
from storage import Payment, Refund

DAY = datetime(2026, 1, 10, tzinfo=UTC)


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


def payment(charge_id: str, paid_at: datetime, **fields) -> Payment:
    values = {
        "telegram_payment_charge_id": charge_id,
        "provider_payment_charge_id": None,
        "user_id": 7,
        "product_id": "gold",
        "total_amount": 25,
        "currency": "XTR",
        "invoice_payload": "v1:gold",
        "paid_at": paid_at,
        "recorded_at": paid_at,
    }
    return Payment(**{**values, **fields})


async def export(sessions, since=None, until=None) -> list[dict[str, str]]:
    out = io.StringIO()
    rows = await Exports(sessions).write_csv(out, since, until)
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(read) == rows and list(read[0] if read else COLUMNS) == list(COLUMNS)
    return read


async def test_the_csv_reads_back_as_the_payments_and_refunds_in_the_database(sessions):
    paid = DAY + timedelta(hours=9, microseconds=123456)
    async with sessions() as session:
        session.add_all(
            [
                payment("stx-a", paid, provider_payment_charge_id="prov-a", user_id=10**12),
                payment("stx-b", paid + timedelta(hours=1), total_amount=100, source="reconcile"),
                Refund(
                    telegram_payment_charge_id="stx-b",
                    user_id=7,
                    total_amount=100,
                    source="admin",
                    admin_id=900_001,
                    reason='bought by mistake, "twice",\nsaid the buyer',
                    refunded_at=paid + timedelta(days=40),
                ),
            ]
        )
        await session.commit()

    rows = await export(sessions)

    async with sessions() as session:
        a = await session.get(Payment, 1)
        b = await session.get(Payment, 2)
        r = await session.get(Refund, 1)
    assert a is not None and b is not None and r is not None
    assert rows == [
        {
            "telegram_payment_charge_id": "stx-a",
            "provider_payment_charge_id": "prov-a",
            "paid_at": a.paid_at.isoformat(),
            "user_id": str(10**12),
            "product_id": "gold",
            "total_amount": "25",
            "currency": "XTR",
            "source": "update",
            "refunded_at": "",
            "refund_amount": "",
            "refund_source": "",
            "refund_admin_id": "",
            "refund_reason": "",
        },
        {
            "telegram_payment_charge_id": "stx-b",
            "provider_payment_charge_id": "",
            "paid_at": b.paid_at.isoformat(),
            "user_id": "7",
            "product_id": "gold",
            "total_amount": "100",
            "currency": "XTR",
            "source": "reconcile",
            "refunded_at": r.refunded_at.isoformat(),
            "refund_amount": "100",
            "refund_source": "admin",
            "refund_admin_id": "900001",
            "refund_reason": 'bought by mistake, "twice",\nsaid the buyer',
        },
    ]
    assert datetime.fromisoformat(rows[0]["paid_at"]) == paid  # UTC, to the microsecond


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
async def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_escaped(sessions, start):
    reason = f'{start}HYPERLINK("https://evil.example","click")'
    async with sessions() as session:
        session.add(payment(f"{start}stx-f", DAY))
        session.add(
            Refund(
                telegram_payment_charge_id=f"{start}stx-f",
                user_id=7,
                total_amount=25,
                source="admin",
                admin_id=900_001,
                reason=reason,
                refunded_at=DAY,
            )
        )
        await session.commit()

    [row] = await export(sessions)

    # OWASP's advice: a leading quote makes the cell text; the rest is kept as it was.
    assert row["refund_reason"] == "'" + reason
    assert row["telegram_payment_charge_id"] == f"'{start}stx-f"
    assert row["total_amount"] == "25" and row["refund_source"] == "admin"


async def test_since_and_until_are_whole_utc_days_both_included(sessions):
    edges = {
        "before": DAY - timedelta(microseconds=1),  # 2026-01-09 23:59:59.999999
        "first": DAY,  # 2026-01-10 00:00
        "last": DAY + timedelta(days=2) - timedelta(microseconds=1),  # 2026-01-11 23:59:59.99..
        "after": DAY + timedelta(days=2),  # 2026-01-12 00:00
    }
    async with sessions() as session:
        session.add_all([payment(name, at) for name, at in edges.items()])
        await session.commit()

    async def charges(since: date | None, until: date | None) -> list[str]:
        rows = await export(sessions, *day_bounds(since, until))
        return [row["telegram_payment_charge_id"] for row in rows]

    assert await charges(date(2026, 1, 10), date(2026, 1, 11)) == ["first", "last"]
    assert await charges(date(2026, 1, 10), None) == ["first", "last", "after"]
    assert await charges(None, date(2026, 1, 9)) == ["before"]
    assert await charges(date(2026, 1, 12), date(2026, 1, 12)) == ["after"]
    assert await charges(None, None) == ["before", "first", "last", "after"]


def test_since_after_until_is_refused_naming_both():
    with pytest.raises(ExportRangeError, match="--since 2026-02-01 is after --until 2026-01-31"):
        day_bounds(date(2026, 2, 1), date(2026, 1, 31))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_drawn_on_a_terminal_once_per_percent():
    stream = Terminal()
    bar = ProgressBar.on_terminal(1000, stream, minimum=1000, unit="payments")
    assert bar is not None
    for _ in range(1000):
        bar.advance()
    bar.finish()

    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) == 101  # 0% ... 100%
    assert frames[-1] == "[" + "#" * 30 + "] 100%  1000/1000 payments\n"


@pytest.mark.parametrize(("stream", "total"), [(io.StringIO(), 10**6), (Terminal(), 999)])
def test_no_progress_bar_on_a_pipe_or_for_a_small_export(stream, total):
    assert ProgressBar.on_terminal(total, stream, minimum=1000) is None
