"""Refunds: an admin's refund through Telegram, and recording any refund once.

An admin's refund (`Refunds.refund`) asks Telegram first and records only what Telegram did.
A refund Telegram reports (`Refunds.record_reported`) is recorded as it comes. Both hold the
charge's lock, so they run one after the other and the first one records, revokes and owes the
buyer the notice; the database's unique constraint on the charge id is the backstop.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge, TelegramRetryAfter
from loguru import logger
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog, Product, ProductKind
from bot.outcomes import AdminRefundResult, AdminRefundStatus
from bot.services.access import RemovalReason, owe_removals_after_revoke
from bot.services.languages import UserLanguages
from bot.services.retry import with_db_retry
from bot.telegram.failures import CALL_ERRORS, describe_failure, outcome_unknown
from entitlements import grant_for_charge, has_all, revoke_for_charge
from storage import (
    AuditRepository,
    OutboxPriority,
    OutboxRepository,
    Payment,
    PaymentRepository,
    Refund,
    RefundRepository,
    SessionFactory,
    Writer,
    utcnow,
)
from storage.locks import Locks, buyer_lock, hold_advisory_locks
from storage.repositories import StockRepository

ALREADY_REFUNDED_ERROR = "CHARGE_ALREADY_REFUNDED"


class RefundSource(StrEnum):
    """How a refund came to be known; stored as `refunds.source`, and in its audit kind."""

    ADMIN = "admin"  # an admin's refund that Telegram did
    TELEGRAM = "telegram"  # a refunded_payment message
    RECONCILE = "reconcile"  # found among the Star transactions
    ELSEWHERE = "elsewhere"  # an admin's refund that Telegram said was done already
    SOLD_OUT = "sold_out"  # the bot's own: the payment came when nothing was left to sell


@dataclass(frozen=True)
class RefundCommand:
    telegram_payment_charge_id: str
    reason: str | None


def parse_refund_args(args: str | None) -> RefundCommand | None:
    """`/refund <telegram_payment_charge_id> [reason]`; None when the charge id is missing."""
    parts = (args or "").split(maxsplit=1)
    if not parts:
        return None
    reason = parts[1].strip() if len(parts) > 1 else ""
    return RefundCommand(parts[0], reason or None)


def classify_refund_error(exc: BaseException) -> tuple[AdminRefundStatus, str]:
    """What a failed refundStarPayment means, and a short description for the admin."""
    if isinstance(exc, TelegramBadRequest) and ALREADY_REFUNDED_ERROR in exc.message:
        return AdminRefundStatus.REFUNDED_ELSEWHERE, describe_failure(exc)
    if isinstance(exc, TelegramRetryAfter):
        return AdminRefundStatus.GAVE_UP, f"Too Many Requests: retry after {exc.retry_after}"
    if isinstance(exc, TelegramEntityTooLarge):  # a 413, though aiogram files it as network
        return AdminRefundStatus.FAILED, describe_failure(exc)
    if not isinstance(exc, CALL_ERRORS):  # not a call's failure: named only
        return AdminRefundStatus.OUTCOME_UNKNOWN, type(exc).__name__
    if outcome_unknown(exc):  # 5xx, network, timeouts, a proxy's error page
        return AdminRefundStatus.OUTCOME_UNKNOWN, describe_failure(exc)
    return AdminRefundStatus.FAILED, describe_failure(exc)  # Telegram refused it: 4xx


def charge_lock(telegram_payment_charge_id: str) -> str:
    """The name of the lock that puts the refunds of one charge one after the other, in this
    process and (on PostgreSQL) in any other on the same database."""
    return f"charge:{telegram_payment_charge_id}"


class RefundStatus(StrEnum):
    RECORDED = "recorded"  # this call recorded the refund and revoked access
    ALREADY_RECORDED = "already_recorded"  # another path got there first; nothing changed
    UNKNOWN_PAYMENT = "unknown_payment"  # no payment with that charge id


@dataclass(frozen=True)
class RefundOutcome:
    status: RefundStatus
    payment: Payment | None
    refund: Refund | None  # the stored refund (this call's or the earlier one)
    revoked: int = 0
    # The buyer's other payment for the same one-time product, which had granted nothing
    # ("already owned") and grants it now that this one is refunded.
    granted_instead: Payment | None = None


class Refunds:
    """Refunds a payment on an admin's word, and records each refund of a payment once."""

    def __init__(
        self,
        bot: Bot,
        writer: Writer,
        readers: SessionFactory,
        locks: Locks,
        catalog: Catalog,
        *,
        languages: UserLanguages,
    ) -> None:
        self.bot = bot
        self.writer = writer
        self.readers = readers
        self.locks = locks
        self.catalog = catalog
        self.languages = languages  # the buyer's notice is in the buyer's language

    async def refund(
        self,
        telegram_payment_charge_id: str,
        *,
        admin_id: int | None,
        reason: str | None = None,
        source: RefundSource | None = None,
    ) -> AdminRefundResult:
        """An admin's refund (or, with `source`, one the bot owes by itself): look the charge
        up, ask Telegram, record only what it did."""
        charge_id = telegram_payment_charge_id
        async with self.locks.hold(charge_lock(charge_id)):
            payment, refund = await self.find(charge_id)
            if payment is None:
                return AdminRefundResult(AdminRefundStatus.UNKNOWN_PAYMENT)
            if refund is not None:
                return AdminRefundResult(AdminRefundStatus.ALREADY_REFUNDED, payment, refund)
            status, error = await self._ask_telegram(payment)
            if status not in (AdminRefundStatus.REFUNDED, AdminRefundStatus.REFUNDED_ELSEWHERE):
                return AdminRefundResult(status, payment, error=error)
            done = status is AdminRefundStatus.REFUNDED
            source = source or (RefundSource.ADMIN if done else RefundSource.ELSEWHERE)
            try:
                outcome = await self._record(
                    charge_id, source=source, admin_id=admin_id, reason=reason
                )
            except SQLAlchemyError as exc:
                # The money went back; Telegram's refunded_payment (or reconciliation) records it.
                logger.opt(exception=exc).error("refund {} done but not recorded", charge_id)
                return AdminRefundResult(AdminRefundStatus.NOT_RECORDED, payment)
            return AdminRefundResult(
                status,
                payment,
                outcome.refund,
                error=error,
                revoked=outcome.revoked,
                granted_instead=outcome.granted_instead,
            )

    async def record_reported(
        self,
        telegram_payment_charge_id: str,
        *,
        source: RefundSource = RefundSource.TELEGRAM,
        raw: dict[str, Any] | None = None,
    ) -> RefundOutcome:
        """A refund Telegram reported (a refunded_payment message, or a Star transaction found
        by reconciliation): recorded once, after any admin's refund of the same charge that is
        in flight, so that the admin's record (with reason) wins."""
        async with self.locks.hold(charge_lock(telegram_payment_charge_id)):
            return await self._record(telegram_payment_charge_id, source=source, raw=raw)

    async def find(self, telegram_payment_charge_id: str) -> tuple[Payment | None, Refund | None]:
        """The payment with this charge id, and its refund if it has one."""
        async with self.readers() as session:
            payment = await PaymentRepository(session).get(telegram_payment_charge_id)
            refund = await RefundRepository(session).get(telegram_payment_charge_id)
        return payment, refund

    async def find_by_id(self, payment_id: int) -> tuple[Payment | None, Refund | None]:
        """The payment with this row id (what a button carries), and its refund if any."""
        async with self.readers() as session:
            payment = await PaymentRepository(session).get_by_id(payment_id)
            if payment is None:
                return None, None
            refund = await RefundRepository(session).get(payment.telegram_payment_charge_id)
        return payment, refund

    async def _ask_telegram(self, payment: Payment) -> tuple[AdminRefundStatus, str | None]:
        """refundStarPayment; a failure becomes a status and what Telegram said."""
        try:
            refunded = await self.bot.refund_star_payment(
                user_id=payment.user_id,
                telegram_payment_charge_id=payment.telegram_payment_charge_id,
            )
        except CALL_ERRORS as exc:
            logger.warning(
                "refundStarPayment charge={} user={}: {}",
                payment.telegram_payment_charge_id,
                payment.user_id,
                describe_failure(exc),
            )
            return classify_refund_error(exc)
        if not refunded:
            logger.warning(
                "refundStarPayment charge={} user={}: answered False",
                payment.telegram_payment_charge_id,
                payment.user_id,
            )
            return AdminRefundStatus.OUTCOME_UNKNOWN, "Telegram answered False"
        return AdminRefundStatus.REFUNDED, None

    async def _record(
        self,
        telegram_payment_charge_id: str,
        *,
        source: RefundSource,
        admin_id: int | None = None,
        reason: str | None = None,
        raw: dict[str, Any] | None = None,
    ) -> RefundOutcome:
        """Store the refund once, revoke the charge's entitlements and owe the buyer a notice.

        Harmless when called again or from another path (admin, refunded_payment,
        reconciliation): only the first records, revokes and notifies.
        """
        charge_id = telegram_payment_charge_id

        async def work(session: AsyncSession) -> RefundOutcome:
            outcome = await _store_refund_and_revoke(
                session, self.catalog, self.languages, charge_id, source, admin_id, reason
            )
            AuditRepository(session).add(
                f"refund_{source}",
                raw or {"telegram_payment_charge_id": charge_id},
                user_id=outcome.payment.user_id if outcome.payment else None,
                telegram_payment_charge_id=charge_id,
                decision=outcome.status.value,
                reason=reason,
            )
            return outcome

        outcome = await with_db_retry(
            lambda: self.writer.write(work), what=f"record refund {charge_id}"
        )
        instead = outcome.granted_instead
        logger.info(
            "refund {} charge={} source={} admin={} revoked={} granted_instead={}",
            outcome.status,
            charge_id,
            source,
            admin_id,
            outcome.revoked,
            instead.telegram_payment_charge_id if instead else None,
        )
        return outcome


async def _store_refund_and_revoke(
    session: AsyncSession,
    catalog: Catalog,
    languages: UserLanguages,
    charge_id: str,
    source: RefundSource,
    admin_id: int | None,
    reason: str | None,
) -> RefundOutcome:
    payment = await PaymentRepository(session).get(charge_id)
    if payment is None:
        return RefundOutcome(RefundStatus.UNKNOWN_PAYMENT, None, None)
    # What the buyer holds may change here (a waiting payment grants instead): as in the payment
    # writer, one transaction at a time per buyer.
    await hold_advisory_locks(session, [buyer_lock(payment.user_id)])
    refunds = RefundRepository(session)
    refund = Refund(
        telegram_payment_charge_id=charge_id,
        user_id=payment.user_id,
        total_amount=payment.total_amount,
        source=source,
        admin_id=admin_id,
        reason=reason,
        refunded_at=utcnow(),
    )
    if not await refunds.add(refund):
        return RefundOutcome(RefundStatus.ALREADY_RECORDED, payment, await refunds.get(charge_id))
    revoked = await revoke_for_charge(session, charge_id)
    await StockRepository(session).release(charge_id, refund.refunded_at)
    product = catalog.get(payment.product_id)
    instead = await grant_a_waiting_payment(session, payment, product) if revoked else None
    if revoked:  # out of the private chats that no key they still hold unlocks
        await owe_removals_after_revoke(session, catalog, payment.user_id, RemovalReason.REFUNDED)
    # Whoever asked (an admin, Telegram, reconciliation), the buyer reads it in theirs.
    notice = await languages.in_language_of(
        session,
        payment.user_id,
        lambda: texts.refund_notice(payment, product, revoked=revoked, granted_instead=instead),
    )
    await OutboxRepository(session).queue(
        payment.user_id,
        notice,
        priority=OutboxPriority.PAYMENT_NOTICE,
        dedupe_key=f"refund:{charge_id}",
    )
    return RefundOutcome(RefundStatus.RECORDED, payment, refund, revoked, instead)


async def grant_a_waiting_payment(
    session: AsyncSession, refunded: Payment, product: Product | None
) -> Payment | None:
    """After `refunded` lost its grants, the buyer's other paid, unrefunded payment for the same
    one-time product that granted nothing (kept as "already owned") grants it now, so that
    the buyer does not end up with nothing although one payment still stands. Returns it."""
    if product is None or product.kind is not ProductKind.ONE_TIME:
        return None
    if await has_all(session, refunded.user_id, product.grants):  # held through another payment
        return None
    waiting = await PaymentRepository(session).first_ungranted(refunded.user_id, product.id)
    if waiting is None:
        return None
    await grant_for_charge(
        session,
        user_id=waiting.user_id,
        charge_id=waiting.telegram_payment_charge_id,
        keys=product.grants,
    )
    return waiting
