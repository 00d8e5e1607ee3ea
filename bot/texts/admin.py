"""The operators' commands: /stats, /payments, /user, /balance, /export and /reconcile, and
the refusal of anyone else (/grant and /revoke are in goodwill.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from html import escape

from bot.catalog import Catalog
from bot.i18n import t
from bot.limits import (
    MESSAGE_LIMIT,
    fit_lines,
    fit_message,
    shorten,
    visible_length,
)
from bot.outcomes import BuyerReport, GoodwillEvent, PeriodFigures, SalesFigures
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
    "balance_failed",
    "buyer_report",
    "export_caption",
    "export_empty",
    "export_too_large",
    "not_allowed",
    "not_allowed_button",
    "payments_list",
    "payments_usage",
    "reconcile_failed",
    "recovered_summary",
    "sales_report",
    "star_balance",
    "user_not_found",
    "user_usage",
]


NAME_LIMIT = 100  # the most of a user's name shown


def not_allowed() -> str:
    return t("admin-not-allowed")


def not_allowed_button() -> str:
    return t("admin-not-allowed-alert")


def payments_usage() -> str:
    return t("admin-payments-usage")


def user_usage() -> str:
    return t("admin-user-usage")


def sales_report(figures: SalesFigures) -> str:
    """What /stats shows (and `python -m bot stats` prints as plain text)."""
    rows: list[tuple[str, ...]] = [
        (
            t("admin-stats-period-column"),
            t("admin-stats-payments-column"),
            t("admin-stats-stars-column"),
            t("admin-stats-refunds-column"),
            t("admin-stats-net-column"),
        )
    ]
    for period in figures.periods:
        totals = period.totals
        figures_of = (totals.payments, totals.stars, totals.refunds, period.net_stars)
        rows.append((_period(period), *(t("admin-stats-figure", figure=n) for n in figures_of)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    table = "\n".join(
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )
    rates = ", ".join(
        t(
            "admin-stats-rate",
            period=_period(p),
            rate=_rate(p.refund_rate),
            refunds=p.totals.refunds,
            payments=p.totals.payments,
        )
        for p in figures.periods[2:]
    )
    head = t("admin-stats", when=when(figures.as_of), table=escape(table), rates=rates)
    holders = [
        t("admin-stats-holder", title=escape(p.title), product=code(p.id), holders=n)
        for p, n in figures.holders
    ]
    return fit_message(head + "\n", holders or [t("admin-stats-no-products")])


def _period(period: PeriodFigures) -> str:
    """A period's name (as bot.services.sales.PERIODS calls it) in the current language."""
    names = {
        "today": t("admin-stats-today"),
        "7 days": t("admin-stats-week"),
        "30 days": t("admin-stats-month"),
        "all time": t("admin-stats-all-time"),
    }
    return names.get(period.name, period.name)


def _rate(rate: float | None) -> str:
    return t("admin-stats-no-rate") if rate is None else t("admin-stats-percent", rate=rate)


def payments_list(rows: Sequence[tuple[Payment, Refund | None]], catalog: Catalog) -> str:
    if not rows:
        return t("admin-payments-none")
    lines = [
        t(
            "admin-payments-line",
            when=when(payment.paid_at),
            user=str(payment.user_id),
            title=title_of(payment.product_id, catalog),
            amount=stars(payment.total_amount),
            refunded=refund_mark(refund),
            charge=code(payment.telegram_payment_charge_id),
        )
        for payment, refund in rows
    ]
    return fit_message(t("admin-payments-head", count=len(rows)) + "\n", lines)


def user_not_found(username: str) -> str:
    return t("admin-user-not-found", username=escape(shorten(username, 32)))


def buyer_report(report: BuyerReport, catalog: Catalog) -> str:
    """What /user shows: who, what they paid and got refunded, what they hold, goodwill."""
    known, user = report.known, str(report.user_id)
    if known is None:
        who = t("admin-user-unknown", user=user)
    else:
        name = escape(shorten(known.full_name, NAME_LIMIT))
        if known.username:
            who = t("admin-user-known", name=name, username=escape(known.username), user=user)
        else:
            who = t("admin-user-known-no-username", name=name, user=user)
    totals = report.totals
    paid = t(
        "admin-user-totals",
        payments=totals.payments,
        stars=stars(totals.stars),
        refunds=totals.refunds,
        refunded=stars(totals.refunded_stars),
    )
    held = [holding(a.key, a.expires_at) + _goodwill_mark(a.charge_ids) for a in report.active]
    holds = fit_lines(held, MESSAGE_LIMIT // 5) if held else t("admin-user-holds-nothing")
    text = "\n".join([who, paid, t("admin-user-holds"), holds])
    if report.goodwill:
        events = [_goodwill_line(event, catalog) for event in report.goodwill]
        text += "\n\n" + t("admin-user-goodwill") + "\n" + fit_lines(events, MESSAGE_LIMIT // 5)
    if report.payments:
        lines = [
            payment_line(p, title_of(p.product_id, catalog), refund_mark(refund), labelled=False)
            for p, refund in report.payments
        ]
        text = fit_message(text + "\n\n" + t("admin-user-payments") + "\n", lines)
    return text


def _goodwill_mark(charge_ids: Sequence[str]) -> str:
    grants = [c for c in charge_ids if c.startswith("grant:")]
    return t("admin-user-goodwill-mark", grants=escape(", ".join(grants))) if grants else ""


def _goodwill_line(event: GoodwillEvent, catalog: Catalog) -> str:
    title = title_of(event.product_id, catalog)
    moment, admin = when(event.at), str(event.admin_id)
    grants = escape(", ".join(event.charge_ids))
    if not event.granted:
        return t("admin-user-revoked", when=moment, title=title, admin=admin, grants=grants)
    if event.days is None:
        return t("admin-user-granted", when=moment, title=title, admin=admin, grants=grants)
    return t(
        "admin-user-granted-days",
        when=moment,
        title=title,
        days=event.days,
        admin=admin,
        grants=grants,
    )


def star_balance(amount: int, nanostars: int | None) -> str:
    exact = Decimal(amount) + Decimal(nanostars or 0).scaleb(-9)
    return t("admin-balance", amount=exact)


def balance_failed(error: str) -> str:
    return t("admin-balance-failed", error=quote(error))


def export_caption(rows: int, since: datetime, until: datetime) -> str:
    """A document's caption: at most 1024 characters."""
    return t("admin-export-caption", payments=rows, since=when(since), until=when(until))


def export_empty(since: datetime) -> str:
    return t("admin-export-empty", since=when(since))


def export_too_large(megabytes: float) -> str:
    command = code('make export FILE=payments.csv ARGS="--since YYYY-MM-DD"')
    return t("admin-export-too-large", megabytes=round(megabytes), command=command)


def reconcile_failed(error: str) -> str:
    return t("admin-reconcile-failed", error=quote(error))


def recovered_summary(payments: Sequence[str], refunds: Sequence[str], seen: int) -> str:
    text = t("admin-reconcile-read", transactions=seen)
    found = {name: ids for name, ids in (("payments", payments), ("refunds", refunds)) if ids}
    if not found:
        return text + "\n" + t("admin-reconcile-nothing-missing")
    room = MESSAGE_LIMIT - visible_length(text)
    blocks: dict[str, str] = {}
    # The shorter list first, each taking at most an equal share of the room left: neither can
    # crowd out the other, and what one does not need goes to the other.
    for index, name in enumerate(sorted(found, key=lambda n: len(found[n]))):
        head = "\n" + _recovered_head(name, len(found[name])) + "\n"
        lines = [code(c) for c in found[name]]
        blocks[name] = head + fit_lines(lines, room // (len(found) - index) - len(head))
        room -= visible_length(blocks[name])
    return text + "".join(blocks[name] for name in found)


def _recovered_head(name: str, count: int) -> str:
    if name == "payments":
        return t("admin-reconcile-recovered-payments", count=count)
    return t("admin-reconcile-recovered-refunds", count=count)
