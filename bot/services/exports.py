"""Payments with their refunds as CSV, for accounting: one row per charge.

`python -m bot export` takes whole UTC days, both ends included; `/export` takes the last 30
days up to now. Either way a payment is in when since <= paid_at < until, and its refund columns
are filled if it was refunded, whenever that was (`refunded_at` says when).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO

from storage import Payment, Refund, SessionFactory
from storage.reports import count_payments, stream_payments

COLUMNS = (
    "telegram_payment_charge_id",
    "provider_payment_charge_id",
    "paid_at",
    "user_id",
    "product_id",
    "total_amount",
    "currency",
    "source",
    "refunded_at",
    "refund_amount",
    "refund_source",
    "refund_admin_id",
    "refund_reason",
)
CHAT_EXPORT_DAYS = 30


class ExportRangeError(ValueError):
    """Dates that select nothing by construction; the message says which."""


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Whole UTC days from `since` through `until`, both included, as [start, end)."""
    if since is not None and until is not None and since > until:
        raise ExportRangeError(f"--since {since} is after --until {until}")
    start = datetime.combine(since, time(0), UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time(0), UTC) if until else None
    return start, end


# A cell that begins with one of these is run as a formula by spreadsheets (OWASP, "CSV
# Injection"): a refund reason "=HYPERLINK(...)" would become a live link.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: object) -> object:
    """`cell`, with a leading quote when a spreadsheet would read it as a formula: it then
    shows as the text it is."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_row(payment: Payment, refund: Refund | None) -> list[object]:
    """One charge as a row of COLUMNS: times in ISO 8601 UTC, amounts in whole Stars, empty
    refund columns when it was not refunded, and no cell a spreadsheet would run."""
    return [as_text(cell) for cell in _cells(payment, refund)]


def _cells(payment: Payment, refund: Refund | None) -> list[object]:
    refunded: list[object] = ["", "", "", "", ""]
    if refund is not None:
        refunded = [
            refund.refunded_at.isoformat(),
            refund.total_amount,
            refund.source,
            refund.admin_id if refund.admin_id is not None else "",
            refund.reason or "",
        ]
    return [
        payment.telegram_payment_charge_id,
        payment.provider_payment_charge_id or "",
        payment.paid_at.isoformat(),
        payment.user_id,
        payment.product_id,
        payment.total_amount,
        payment.currency,
        payment.source,
        *refunded,
    ]


class Exports:
    """Payments with their refunds as CSV, from the read connections."""

    def __init__(self, readers: SessionFactory) -> None:
        self.readers = readers

    async def count(self, since: datetime | None, until: datetime | None) -> int:
        """How many charges have since <= paid_at < until."""
        async with self.readers() as session:
            return await count_payments(session, since, until)

    async def write_csv(
        self,
        out: TextIO,
        since: datetime | None,
        until: datetime | None,
        *,
        on_row: Callable[[], None] | None = None,
    ) -> int:
        """Write the header and every charge with since <= paid_at < until to `out`, oldest
        first; returns how many charges. `on_row` is called after each (for a progress bar)."""
        # RFC 4180's line ends: a cell holding a lone \r is then quoted too, as readers expect.
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        rows = 0
        async with self.readers() as session:
            async for payment, refund in stream_payments(session, since, until):
                writer.writerow(csv_row(payment, refund))
                rows += 1
                if on_row is not None:
                    on_row()
        return rows
