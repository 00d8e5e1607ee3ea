"""The operators' commands: /stats, /payments, /user, /balance, /export and /reconcile, and
the refusal of anyone else (/grant and /revoke are in goodwill.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.catalog import Catalog
from bot.limits import (
    MESSAGE_LIMIT,
    fit_lines,
    fit_message,
    shorten,
    visible_length,
)
from bot.outcomes import BuyerReport, GoodwillEvent, SalesFigures
from bot.texts.common import (
    code,
    holding,
    payment_line,
    quote,
    refund_mark,
    stars,
    title_of,
    when,
)
from storage.models import Payment, Refund

__all__ = [
    "NAME_LIMIT",
    "NOT_ALLOWED",
    "NOT_ALLOWED_BUTTON",
    "PAYMENTS_USAGE",
    "STATS_NOTE",
    "USER_USAGE",
    "balance_failed",
    "buyer_report",
    "export_caption",
    "export_empty",
    "export_too_large",
    "payments_list",
    "reconcile_failed",
    "recovered_summary",
    "sales_report",
    "star_balance",
    "user_not_found",
]


NOT_ALLOWED = "Not allowed: this command is for the shop's admins."
NOT_ALLOWED_BUTTON = "Not allowed."
PAYMENTS_USAGE = "Usage: /payments [n], n from 1 to 50 (10 without it): the latest n payments."
USER_USAGE = "Usage: /user &lt;user id or @username&gt;"
STATS_NOTE = (
    "A period counts the payments made in it; refunds: those of them refunded since. "
    "Goodwill grants are not payments and never count."
)
NAME_LIMIT = 100  # the most of a user's name shown


def sales_report(figures: SalesFigures) -> str:
    """What /stats shows (and `python -m bot stats` prints as plain text)."""
    rows = [("period", "payments", "Stars", "refunds", "net Stars")]
    for period in figures.periods:
        totals = period.totals
        rows.append(
            (
                period.name,
                str(totals.payments),
                str(totals.stars),
                str(totals.refunds),
                str(period.net_stars),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    table = "\n".join(
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )
    rates = ", ".join(
        f"{p.name} {_rate(p.refund_rate)} ({p.totals.refunds} of {p.totals.payments})"
        for p in figures.periods[2:]
    )
    head = (
        f"📊 Sales as of {when(figures.as_of)}\n<pre>{escape(table)}</pre>\n"
        f"Refund rate: {rates}.\n{STATS_NOTE}\n\n"
        "Holders now (everything the product gives, bought or granted):\n"
    )
    holders = [f"• {escape(p.title)} ({code(p.id)}): {n}" for p, n in figures.holders]
    return fit_message(head, holders or ["no products"])


def _rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def payments_list(rows: Sequence[tuple[Payment, Refund | None]], catalog: Catalog) -> str:
    if not rows:
        return "No payments yet."
    head = f"The latest {len(rows)} payment(s), newest first:\n"
    lines = [
        f"• {when(payment.paid_at)}, user <code>{payment.user_id}</code>, "
        f"{title_of(payment.product_id, catalog)}, {stars(payment.total_amount)}"
        f"{refund_mark(refund)}\n  {code(payment.telegram_payment_charge_id)}"
        for payment, refund in rows
    ]
    return fit_message(head, lines)


def user_not_found(username: str) -> str:
    return (
        f"Nobody with the username @{escape(shorten(username, 32))} has written to this bot. "
        "Ask for their numeric user id, or try /payments."
    )


def buyer_report(report: BuyerReport, catalog: Catalog) -> str:
    """What /user shows: who, what they paid and got refunded, what they hold, goodwill."""
    known = report.known
    if known is None:
        who = f"👤 User <code>{report.user_id}</code> (has not written to the bot)"
    else:
        handle = f" @{escape(known.username)}" if known.username else ""
        name = escape(shorten(known.full_name, NAME_LIMIT))
        who = f"👤 {name}{handle}, user <code>{report.user_id}</code>"
    totals = report.totals
    head = (
        f"{who}\nPaid {totals.payments} time(s), {stars(totals.stars)}; refunded "
        f"{totals.refunds} ({stars(totals.refunded_stars)}).\n"
    )
    held = [holding(a.key, a.expires_at) + _goodwill_mark(a.charge_ids) for a in report.active]
    text = head + "Holds now:\n" + (fit_lines(held, MESSAGE_LIMIT // 5) if held else "nothing")
    if report.goodwill:
        events = [_goodwill_line(event, catalog) for event in report.goodwill]
        text += "\n\nGoodwill (not revenue):\n" + fit_lines(events, MESSAGE_LIMIT // 5)
    if report.payments:
        lines = [
            payment_line(p, title_of(p.product_id, catalog), refund_mark(refund), labelled=False)
            for p, refund in report.payments
        ]
        text = fit_message(text + "\n\nPayments, newest first:\n", lines)
    return text


def _goodwill_mark(charge_ids: Sequence[str]) -> str:
    grants = [c for c in charge_ids if c.startswith("grant:")]
    return f" (goodwill {escape(', '.join(grants))})" if grants else ""


def _goodwill_line(event: GoodwillEvent, catalog: Catalog) -> str:
    title = title_of(event.product_id, catalog)
    if event.granted:
        term = "forever or its own term" if event.days is None else f"for {event.days} days"
        what = f"granted {title} {term}"
    else:
        what = f"revoked {title}"
    grants = escape(", ".join(event.charge_ids))
    return f"• {when(event.at)}: {what} by admin {event.admin_id} ({grants})"


def star_balance(amount: int, nanostars: int | None) -> str:
    fraction = f".{nanostars:09d}".rstrip("0") if nanostars else ""
    return f"The bot's Star balance: {amount}{fraction} ⭐"


def balance_failed(error: str) -> str:
    return f"Could not get the balance: Telegram said “{quote(error)}”. Try again in a minute."


def export_caption(rows: int, since: datetime, until: datetime) -> str:
    """A document's caption: at most 1024 characters."""
    return (
        f"{rows} payment(s) from {when(since)} to {when(until)}, one row per charge, with the "
        "refund columns filled where refunded."
    )


def export_empty(since: datetime) -> str:
    return f"No payments since {when(since)}; there is nothing to export."


def export_too_large(megabytes: float) -> str:
    command = code('make export FILE=payments.csv ARGS="--since YYYY-MM-DD"')
    return (
        f"The export is {megabytes:.0f} MB, more than a bot may send (50 MB). On the server, run "
        f"{command} instead."
    )


def reconcile_failed(error: str) -> str:
    return f"Reconciliation failed: {quote(error)}. Try again in a minute."


def recovered_summary(payments: Sequence[str], refunds: Sequence[str], seen: int) -> str:
    text = f"Reconciliation read {seen} new Star transaction(s)."
    found = {name: ids for name, ids in (("payments", payments), ("refunds", refunds)) if ids}
    if not found:
        return text + "\nNothing was missing."
    room = MESSAGE_LIMIT - visible_length(text)
    blocks: dict[str, str] = {}
    # The shorter list first, each taking at most an equal share of the room left: neither can
    # crowd out the other, and what one does not need goes to the other.
    for index, name in enumerate(sorted(found, key=lambda n: len(found[n]))):
        head = f"\nRecovered {name} ({len(found[name])}, all in the log):\n"
        lines = [code(c) for c in found[name]]
        blocks[name] = head + fit_lines(lines, room // (len(found) - index) - len(head))
        room -= visible_length(blocks[name])
    return text + "".join(blocks[name] for name in found)
