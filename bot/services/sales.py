"""Sales figures for `/stats` and `python -m bot stats`, and the newest payments for `/payments`.

Revenue is what buyers paid for payments Telegram reported: goodwill grants are not payments
and never count. A period counts the payments made in it; its refunds are those of these
payments that have been refunded since, whenever that was.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.catalog import Catalog
from bot.outcomes import PeriodFigures, SalesFigures
from entitlements import count_holders
from storage import Payment, Refund, SessionFactory, utcnow
from storage.reports import recent_payments, sales_totals

PERIODS: tuple[tuple[str, timedelta | None], ...] = (
    ("today", None),  # since midnight UTC
    ("7 days", timedelta(days=7)),
    ("30 days", timedelta(days=30)),
    ("all time", None),
)
PAYMENTS_DEFAULT = 10
PAYMENTS_MAX = 50


def period_starts(now: datetime) -> list[datetime | None]:
    """Where each of PERIODS starts: today at midnight UTC, 7 and 30 days back, and never."""
    midnight = datetime.combine(now.astimezone(UTC).date(), time(0), UTC)
    starts: list[datetime | None] = [midnight]
    starts += [now - length if length else None for _, length in PERIODS[1:]]
    return starts


def parse_payments_count(args: str | None) -> int | None:
    """`/payments [n]`: n from 1 to PAYMENTS_MAX, PAYMENTS_DEFAULT without it; None if bad."""
    text = (args or "").strip()
    if not text:
        return PAYMENTS_DEFAULT
    if not text.isdigit() or not 1 <= int(text) <= PAYMENTS_MAX:
        return None
    return int(text)


class Sales:
    """The shop's figures, read from the read connections (a snapshot each)."""

    def __init__(self, readers: SessionFactory, catalog: Catalog) -> None:
        self.readers = readers
        self.catalog = catalog

    async def figures(self, now: datetime | None = None) -> SalesFigures:
        """The figures `/stats` shows, read in one snapshot."""
        now = now or utcnow()
        async with self.readers() as session:
            totals = await sales_totals(session, period_starts(now))
            holders = [
                (product, await count_holders(session, product.grants, now=now))
                for product in self.catalog
            ]
        named = zip(PERIODS, totals, strict=True)
        periods = tuple(PeriodFigures(name, t) for (name, _), t in named)
        return SalesFigures(as_of=now, periods=periods, holders=tuple(holders))

    async def newest_payments(self, count: int) -> list[tuple[Payment, Refund | None]]:
        """The `count` newest payments, each with its refund if it has one."""
        async with self.readers() as session:
            return await recent_payments(session, count)
