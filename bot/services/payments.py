"""Recording Stars payments and granting what they bought, many in one transaction.

A payment is stored once (unique on telegram_payment_charge_id), together with its grants, the
confirmation owed to the buyer (then the text and files of a key it newly gives, see
`bot.services.deliveries`) and its audit row. Payments that reach the writer together are
stored with a few statements for all of them (see `storage.writer`), with the same outcome as
one after another: the first of two payments for a one-time product grants, the second is
referred to a person.

A subscription's payments take the same path. The first one stores the subscription (keyed by
its charge id) and grants until Telegram's `subscription_expiration_date`; each renewal is a
payment of its own that names the subscription, found by the buyer and the invoice payload
every renewal repeats (Telegram's successful_payment names no first charge), and grants the
subscription's product, as stored, until its new expiration date. A renewal delivered twice
is one charge id, stored and granted once. Where such a payment belongs is
`bot.services.subscriptions`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any

from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.catalog import Catalog, Product
from bot.services.access import drop_removals_for_grants
from bot.services.chat_setup import ManagedChats
from bot.services.deliveries import NewKeys
from bot.services.languages import Recipients, UserLanguages
from bot.services.offers import PayloadSigner
from bot.services.ownership import Holdings, holdings_of, owns
from bot.services.payment_notices import confirmation, referral
from bot.services.retry import with_db_retry
from bot.services.stock import (
    DEFAULT_LOW_STOCK,
    StockKeeper,
    Unit,
    owed_sold_out_refund,
    queue_stock_alerts,
    sold_out_apology,
    stock_lock,
    take_unit,
)
from bot.services.subscriptions import SubscriptionPayment, place_payments, store_subscriptions
from entitlements import Grant, GrantedKey, grant_many
from storage import (
    AuditRepository,
    OutboxRepository,
    Payment,
    Writer,
    utcnow,
)
from storage.locks import buyer_lock, hold_advisory_locks
from storage.repositories import (
    OwedRefundRepository,
    Row,
    audit_row,
    insert_many_ignoring_conflict,
)


class PaymentSource(StrEnum):
    UPDATE = "update"  # the successful_payment message reached us
    RECONCILE = "reconcile"  # found later among the Star transactions


@dataclass(frozen=True)
class PaymentFacts:
    """A payment as Telegram reported it (a successful_payment, or a Star transaction)."""

    user_id: int
    telegram_payment_charge_id: str
    total_amount: int
    currency: str
    invoice_payload: str
    provider_payment_charge_id: str | None = None
    paid_at: datetime = field(default_factory=utcnow)
    # A subscription's payment (Telegram's fields). A Star transaction says only that it is
    # one: whether it is the first and when its period ends are then worked out on storing.
    is_recurring: bool = False
    is_first_recurring: bool | None = None
    subscription_expiration_date: datetime | None = None


@dataclass(frozen=True)
class PaymentOutcome:
    recorded: bool  # False: this charge was already stored, nothing changed
    product: Product | None
    took_unit: bool = False  # a code or a unit of a limited product's stock
    sold_out: bool = False  # a limited product with nothing left: stored, refunded, no grant


@dataclass(frozen=True)
class _Reported:
    facts: PaymentFacts
    source: PaymentSource
    raw: dict[str, Any] | None


@dataclass
class _Batch:
    """What storing one batch of payments decided, written together at its end."""

    now: datetime
    recipients: Recipients  # the languages of the buyers and the admins
    outcomes: list[PaymentOutcome] = field(default_factory=list)
    grants: list[tuple[_Reported, Product, Grant]] = field(default_factory=list)
    messages: list[Row] = field(default_factory=list)  # owed to buyers and admins
    codes: dict[str, str] = field(default_factory=dict)  # codes taken, by charge id
    owed: list[Row] = field(default_factory=list)  # refunds the bot owes (nothing left)


class PaymentRecorder:
    """Stores payments through the writer; one per process, shared by every path."""

    def __init__(
        self,
        writer: Writer,
        catalog: Catalog,
        signer: PayloadSigner,
        admin_ids: Collection[int] = (),
        stock: StockKeeper | None = None,
        *,
        languages: UserLanguages,
        chats: ManagedChats | None = None,
    ) -> None:
        self.writer = writer
        self.catalog = catalog
        self.signer = signer
        self.admin_ids = sorted(admin_ids)
        self.stock = stock  # the counts pre-checkout reserves from, told of each sale
        self.low_stock = stock.low_stock if stock is not None else DEFAULT_LOW_STOCK
        self.chats = chats  # the confirmation carries a Join button per private chat unlocked
        self.languages = languages  # each message in its recipient's language

    async def record(
        self,
        facts: PaymentFacts,
        *,
        source: PaymentSource = PaymentSource.UPDATE,
        raw: dict[str, Any] | None = None,
    ) -> PaymentOutcome:
        """Store the payment once, grant its product and owe the buyer a confirmation.

        The same payment recorded again changes nothing and queues nothing. Retries while the
        database is locked; raises when it stays so (the update is then handled again later).
        """
        reported = _Reported(facts, source, raw)
        outcome = await with_db_retry(
            lambda: self.writer.write_many(self.store, reported),
            what=f"record payment {facts.telegram_payment_charge_id}",
        )
        if self.stock is not None and outcome.recorded and outcome.product is not None:
            took, sold_out = outcome.took_unit, outcome.sold_out
            self.stock.settle(outcome.product.id, facts.user_id, took=took, sold_out=sold_out)
        logger.info(
            "payment {} charge={} user={} product={} amount={} {} source={}",
            "recorded" if outcome.recorded else "duplicate ignored",
            facts.telegram_payment_charge_id,
            facts.user_id,
            outcome.product.id if outcome.product else None,
            facts.total_amount,
            facts.currency,
            source,
        )
        return outcome

    async def store(
        self, session: AsyncSession, payments: Sequence[_Reported]
    ) -> list[PaymentOutcome]:
        """The writer's batch function: store `payments` in order, in a few statements."""
        now = utcnow()
        placed = await place_payments(session, [p.facts for p in payments])
        bought = [self._product_id(p.facts, placed) for p in payments]
        products = [self.catalog.get(product_id) if product_id else None for product_id in bought]
        rows: dict[str, Row] = {}
        for reported, product_id in zip(payments, bought, strict=True):
            charge_id = reported.facts.telegram_payment_charge_id
            period = placed.get(charge_id)
            rows.setdefault(charge_id, _payment_row(reported, product_id, period, now))
        table = Payment.__table__  # type: ignore[attr-defined]
        added = await insert_many_ignoring_conflict(
            session, table, list(rows.values()), table.c.id, table.c.telegram_payment_charge_id
        )
        new = {charge_id: row_id for row_id, charge_id in added}
        # Two processes (PostgreSQL) may store payments of one buyer at once: each decides what
        # to grant from what the buyer holds, so those decisions take turns; and so do the
        # sales of one limited product.
        buyers = {p.facts.user_id for p in payments if p.facts.telegram_payment_charge_id in new}
        limited = {p.id for p in products if p is not None and p.limited}
        locks = [buyer_lock(user_id) for user_id in buyers] + [stock_lock(p) for p in limited]
        await hold_advisory_locks(session, locks)
        holdings = await self._holdings(session, payments, products, new, placed)
        await store_subscriptions(session, [rows[c] for c in new], now)
        # Whoever's update this is, each buyer and each admin reads theirs in their language.
        people = {p.facts.user_id for p in payments} | set(self.admin_ids)
        batch = _Batch(now, await self.languages.of_many(session, people))
        for reported, product in zip(payments, products, strict=True):
            charge_id = reported.facts.telegram_payment_charge_id
            row_id = new.pop(charge_id, None)  # a charge twice in one batch: the first stores
            if row_id is None:
                batch.outcomes.append(PaymentOutcome(recorded=False, product=product))
                continue
            payment = Payment(id=row_id, **rows[charge_id])
            await self._decide(session, batch, reported, product, payment, placed, holdings)
        await self._grant(session, batch, placed)
        sold = [p for p in products if p is not None and p.id in limited]
        batch.messages += await queue_stock_alerts(
            session, sold, self.admin_ids, self.low_stock, batch.recipients
        )
        await OwedRefundRepository(session).owe_many(batch.owed)
        await OutboxRepository(session).queue_many(batch.messages)
        await AuditRepository(session).add_many(
            [_audit_row(p, o, now) for p, o in zip(payments, batch.outcomes, strict=True)]
        )
        return batch.outcomes

    async def _decide(
        self,
        session: AsyncSession,
        batch: _Batch,
        reported: _Reported,
        product: Product | None,
        payment: Payment,
        placed: dict[str, SubscriptionPayment],
        holdings: dict[int, Holdings],
    ) -> None:
        """What a new payment gets: its grant (and a unit of a limited product), or a referral
        to a person, or, with nothing left to sell, a refund the bot owes."""
        facts, now = reported.facts, batch.now
        charge_id = facts.telegram_payment_charge_id
        period = placed.get(charge_id)
        renewal = period is not None and not period.first
        user_holds = holdings.get(facts.user_id, Holdings())
        if product is None or (not renewal and owns(product, user_holds)):
            # Money taken for nothing we can give: a product gone from the catalog, or a second
            # payment for a one-time product or a subscription (two invoices paid back to back
            # both passed pre-checkout before either was stored). Keep it; a person refunds it
            # (which also cancels such a subscription's renewal).
            batch.messages += referral(payment, product, self.admin_ids, batch.recipients)
            batch.outcomes.append(PaymentOutcome(True, product))
            return
        unit = await self._take(session, product, facts, now) if product.limited else None
        if product.limited and unit is None:
            # Nothing left (a crash lost the count, or reconciliation found an old charge):
            # kept, never granted, and refunded by the bot itself.
            amount = facts.total_amount
            apology = partial(sold_out_apology, product, facts.user_id, amount, charge_id, now)
            batch.messages.append(batch.recipients.render(facts.user_id, apology))
            batch.owed.append(owed_sold_out_refund(charge_id, facts.user_id, amount, now))
            batch.outcomes.append(PaymentOutcome(True, product, took_unit=False, sold_out=True))
            return
        if unit is not None and unit.code is not None:
            batch.codes[charge_id] = unit.code
        grant = Grant(facts.user_id, charge_id, product.grants, product.duration)
        if period is not None:  # a subscription's period ends on Telegram's date
            grant = Grant(facts.user_id, charge_id, product.grants, until=period.expiration)
        batch.grants.append((reported, product, grant))
        holdings[facts.user_id] = user_holds.with_product(product)
        batch.outcomes.append(PaymentOutcome(True, product, took_unit=unit is not None))

    async def _grant(
        self, session: AsyncSession, batch: _Batch, placed: dict[str, SubscriptionPayment]
    ) -> None:
        """Grant the batch's grants, and owe each buyer the confirmation and what the keys they
        did not hold before deliver (a renewal delivers nothing again)."""
        grants = [grant for *_, grant in batch.grants]
        new_keys = await NewKeys.before(session, self.catalog, grants)
        granted = await grant_many(session, grants, now=batch.now)
        # Held again before a removal owed ran (a renewal within ACCESS_GRACE): it is dropped.
        regranted = [(grant.user_id, grant.keys) for grant in grants]
        await drop_removals_for_grants(session, self.catalog, regranted, batch.now)
        for (reported, product, grant), keys in zip(batch.grants, granted, strict=True):
            owed = partial(self._owed_for, batch, reported, product, grant, keys, placed, new_keys)
            batch.messages += batch.recipients.render(reported.facts.user_id, owed)

    def _owed_for(
        self,
        batch: _Batch,
        reported: _Reported,
        product: Product,
        grant: Grant,
        keys: list[GrantedKey],
        placed: dict[str, SubscriptionPayment],
        new_keys: NewKeys,
    ) -> list[Row]:
        """A granting payment's confirmation, then what the keys it newly gives deliver."""
        charge_id = reported.facts.telegram_payment_charge_id
        period = placed.get(charge_id)
        join_links = self.chats.join_links_for_keys(product.grants) if self.chats else []
        rows = [
            confirmation(
                reported.facts.user_id,
                charge_id,
                product,
                reported.facts.total_amount,
                keys,
                period,
                recovered=reported.source is not PaymentSource.UPDATE,
                code=batch.codes.get(charge_id),
                join_links=join_links,
                now=batch.now,
            )
        ]
        if period is None or period.first:
            rows += new_keys.owed(grant, now=batch.now)
        return rows

    async def _take(
        self, session: AsyncSession, product: Product, facts: PaymentFacts, now: datetime
    ) -> Unit | None:
        """One code or unit of a limited product for this payment; None when none is left."""
        charge_id = facts.telegram_payment_charge_id
        return await take_unit(session, product, charge_id, facts.user_id, now)

    def _product_id(
        self, facts: PaymentFacts, placed: dict[str, SubscriptionPayment]
    ) -> str | None:
        """What a payment bought. A renewal of a stored subscription bought that subscription's
        product: its payload was checked when the first charge was stored, and is not checked
        again, so that rotating the payload secret or the token never breaks a subscription.
        Any other payment bought what its payload names, if this bot signed it (else None)."""
        period = placed.get(facts.telegram_payment_charge_id)
        if period is not None and period.product_id is not None:
            return period.product_id or None
        offer = self.signer.decode(facts.invoice_payload)
        return offer.product_id if offer else None

    async def _holdings(
        self,
        session: AsyncSession,
        payments: Sequence[_Reported],
        products: Sequence[Product | None],
        new: dict[str, int],
        placed: dict[str, SubscriptionPayment],
    ) -> dict[int, Holdings]:
        """What the buyers of new payments (other than renewals) already have, in a query or
        two, before this batch's own subscriptions are stored."""
        asked: list[tuple[int, Product]] = []
        for reported, product in zip(payments, products, strict=True):
            charge_id = reported.facts.telegram_payment_charge_id
            period = placed.get(charge_id)
            if product is not None and charge_id in new and (period is None or period.first):
                asked.append((reported.facts.user_id, product))
        return await holdings_of(session, {u for u, _ in asked}, [p for _, p in asked])


def _payment_row(
    reported: _Reported, product_id: str | None, period: SubscriptionPayment | None, now: datetime
) -> Row:
    facts = reported.facts
    return {
        "subscription_charge_id": period.subscription_charge_id if period else None,
        "subscription_expiration_date": period.expiration if period else None,
        "telegram_payment_charge_id": facts.telegram_payment_charge_id,
        "provider_payment_charge_id": facts.provider_payment_charge_id,
        "user_id": facts.user_id,
        "product_id": product_id or "",
        "total_amount": facts.total_amount,
        "currency": facts.currency,
        "invoice_payload": facts.invoice_payload,
        "source": reported.source,
        "paid_at": facts.paid_at,
        "recorded_at": now,
    }


def _audit_row(reported: _Reported, outcome: PaymentOutcome, now: datetime) -> Row:
    facts = reported.facts
    kind = (
        "successful_payment"
        if reported.source is PaymentSource.UPDATE
        else f"payment_{reported.source}"
    )
    return audit_row(
        kind,
        reported.raw or facts.__dict__,
        user_id=facts.user_id,
        telegram_payment_charge_id=facts.telegram_payment_charge_id,
        decision="recorded" if outcome.recorded else "duplicate",
        now=now,
    )
