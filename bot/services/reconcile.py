"""Reconciliation: what Telegram's Star transactions show that the database does not."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from aiogram import Bot
from aiogram.types import StarTransaction, TransactionPartnerUser
from loguru import logger

from bot.services.offers import STARS
from bot.services.payments import PaymentFacts, PaymentRecorder, PaymentSource
from bot.services.refunds import Refunds, RefundSource, RefundStatus
from storage import SessionFactory, SyncStateRepository, Writer, utcnow
from storage.locks import Locks

CURSOR = "star_transactions_seen"
RECONCILE_LOCK = "reconcile"
PAGE_SIZE = 100  # getStarTransactions' maximum
INVOICE_PAYMENT = "invoice_payment"


@dataclass
class ReconcileReport:
    seen: int = 0
    payments: list[str] = field(default_factory=list)
    refunds: list[str] = field(default_factory=list)


class Reconciler:
    """Pages through the bot's Star transactions from a stored cursor, one run at a time (in
    this process and, on PostgreSQL, in any other on the same database: they share the cursor)."""

    def __init__(
        self,
        bot: Bot,
        writer: Writer,
        readers: SessionFactory,
        locks: Locks,
        payments: PaymentRecorder,
        refunds: Refunds,
        *,
        settle: timedelta = timedelta(seconds=60),
    ) -> None:
        self.bot = bot
        self.writer = writer
        self.readers = readers
        self.locks = locks
        self.payments = payments
        self.refunds = refunds
        # A fresh payment's successful_payment update is normally on its way: leave it to that
        # path (and its "thank you") unless it is still missing after `settle`.
        self.settle = settle

    async def run(self) -> ReconcileReport:
        """Record every incoming invoice payment and every refund the database lacks."""
        async with self.locks.hold(RECONCILE_LOCK):
            report = ReconcileReport()
            async with self.readers() as session:
                offset = await SyncStateRepository(session).get(CURSOR)
            while True:
                page = await self.bot.get_star_transactions(offset=offset, limit=PAGE_SIZE)
                settled = self._settled(page.transactions)
                for transaction in settled:
                    await self._apply(transaction, report)
                offset += len(settled)
                report.seen += len(settled)
                await self._save_cursor(offset)
                if len(settled) < PAGE_SIZE:
                    break
            if report.payments or report.refunds:
                logger.warning(
                    "reconciliation recovered payments={} refunds={}",
                    report.payments,
                    report.refunds,
                )
            return report

    def _settled(self, transactions: list[StarTransaction]) -> list[StarTransaction]:
        """The leading transactions older than `settle` (the list is chronological)."""
        dates = [t.date for t in transactions]
        if dates != sorted(dates):
            # The stored cursor counts transactions from the oldest: it needs this order.
            logger.error("getStarTransactions is not in chronological order: {}", dates)
        cutoff = utcnow() - self.settle
        return list(itertools.takewhile(lambda t: t.date <= cutoff, transactions))

    async def _apply(self, transaction: StarTransaction, report: ReconcileReport) -> None:
        source, receiver = transaction.source, transaction.receiver
        if _is_invoice_user(source):
            assert isinstance(source, TransactionPartnerUser)
            facts = PaymentFacts(
                user_id=source.user.id,
                telegram_payment_charge_id=transaction.id,
                total_amount=transaction.amount,
                currency=STARS,
                invoice_payload=source.invoice_payload or "",
                paid_at=transaction.date,
                # A subscription's payment, first or renewal: stored as such (see payments).
                is_recurring=source.subscription_period is not None,
            )
            outcome = await self.payments.record(
                facts,
                source=PaymentSource.RECONCILE,
                raw=transaction.model_dump(mode="json", exclude_none=True),
            )
            if outcome.recorded:
                report.payments.append(transaction.id)
        elif _is_invoice_user(receiver):
            outcome_refund = await self.refunds.record_reported(
                transaction.id,
                source=RefundSource.RECONCILE,
                raw=transaction.model_dump(mode="json", exclude_none=True),
            )
            if outcome_refund.status is RefundStatus.RECORDED:
                report.refunds.append(transaction.id)

    async def _save_cursor(self, offset: int) -> None:
        await self.writer.write(lambda session: SyncStateRepository(session).set(CURSOR, offset))


def _is_invoice_user(partner: object) -> bool:
    return (
        isinstance(partner, TransactionPartnerUser) and partner.transaction_type == INVOICE_PAYMENT
    )
