"""The refunds the bot owes by itself: a payment that came when nothing was left to sell.

Each was recorded in the transaction that stored its payment (`owed_refunds`). A periodic job
makes them with refundStarPayment through `Refunds.refund`, under the charge's lock, until
Telegram answers: done (or already refunded, which counts as done) is recorded as a refund with
source `sold_out`, once; a 5xx, a timeout or a 429 is tried again later; a refusal is parked
for a person, with what Telegram said.
"""

from __future__ import annotations

from datetime import timedelta

from loguru import logger

from bot.outcomes import AdminRefundStatus
from bot.services.refunds import Refunds, RefundSource
from bot.telegram.failures import OUTBOX_BACKOFF, delay_after
from storage import SessionFactory, Writer, utcnow
from storage.goods import OwedRefund
from storage.repositories import OwedRefundRepository

INTERVAL_SECONDS = 3.0
DONE = frozenset(
    {
        AdminRefundStatus.REFUNDED,
        AdminRefundStatus.REFUNDED_ELSEWHERE,
        AdminRefundStatus.ALREADY_REFUNDED,
    }
)
# Telegram said no for good (or the payment is not ours): a person looks at it.
REFUSED = frozenset({AdminRefundStatus.FAILED, AdminRefundStatus.UNKNOWN_PAYMENT})


class OwedRefunds:
    """Makes the refunds owed, each once."""

    def __init__(self, writer: Writer, readers: SessionFactory, refunds: Refunds) -> None:
        self.writer = writer
        self.readers = readers
        self.refunds = refunds

    async def run(self) -> None:
        """Make every owed refund that is due (the job, every INTERVAL_SECONDS)."""
        async with self.readers() as session:
            due = await OwedRefundRepository(session).due(utcnow())
        for owed in due:
            await self._make(owed)

    async def _make(self, owed: OwedRefund) -> None:
        assert owed.id is not None
        refund_id, charge_id = owed.id, owed.telegram_payment_charge_id
        attempts = owed.attempts + 1
        result = await self.refunds.refund(
            charge_id, admin_id=None, reason=owed.reason, source=RefundSource.SOLD_OUT
        )
        now = utcnow()
        if result.status in DONE:
            logger.info("owed refund charge={} user={}: done", charge_id, owed.user_id)
            await self.writer.write(
                lambda s: OwedRefundRepository(s).done(refund_id, attempts, now)
            )
            return
        error = result.error or result.status.value
        if result.status in REFUSED:
            logger.error("owed refund charge={} parked: {}", charge_id, error)
            await self.writer.write(
                lambda s: OwedRefundRepository(s).park(refund_id, attempts, now, error)
            )
            return
        at = now + timedelta(seconds=delay_after(OUTBOX_BACKOFF, attempts))
        logger.warning("owed refund charge={} failed, will retry: {}", charge_id, error)
        await self.writer.write(
            lambda s: OwedRefundRepository(s).retry_later(refund_id, attempts, at, error)
        )
