"""Limited products: codes and `stock = N`, sold without overselling.

Pre-checkout reserves a unit in memory (`StockKeeper.reserve`): no database round trip per
query. What is left of each product is loaded at start and refreshed from the database every
few seconds (codes loaded with `python -m bot codes add` go on sale so), and each stored payment
settles its reservation at once. The database decides, though: the payment's transaction takes
a code or a unit (`take_unit`), and a payment that finds none is stored, grants nothing and is
refunded (`bot.services.owed_refunds`). One process sells at a time (the active one), so one
count in memory is enough.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog, Product
from bot.outcomes import StockLine
from bot.services.languages import Recipients
from storage import OutboxPriority, SessionFactory, Writer
from storage.repositories import (
    Row,
    StockCount,
    StockRepository,
    SyncStateRepository,
    outbox_row,
    owed_refund_row,
)

REFRESH_SECONDS = 5.0
DEFAULT_LOW_STOCK = 10
# How long /shop waits for the first count at start before listing without it.
COUNT_PATIENCE_SECONDS = 3.0
SOLD_OUT_REASON = "sold_out"
# Admin alerts per product, as a SyncState counter: the most severe one sent since the stock
# was last above it.
ALERT_NONE, ALERT_LOW, ALERT_OUT = 0, 1, 2


@dataclass(frozen=True)
class Unit:
    """What a payment took: a code, or a unit of stock (code None)."""

    code: str | None = None


def stock_lock(product_id: str) -> str:
    """The lock under which payments of one product take its units, one transaction at a time
    (PostgreSQL; the one writer already does on SQLite)."""
    return f"stock:{product_id}"


def left_of(product: Product, count: StockCount) -> int:
    """What the database has left of `product` to sell: unsold codes, and stock not sold,
    whichever is fewer."""
    limits = []
    if product.codes:
        limits.append(count.codes_unsold)
    if product.stock is not None:
        limits.append(product.stock - count.units_sold)
    return max(0, min(limits)) if limits else 0


def alert_level(left: int, low_stock: int) -> int:
    if left <= 0:
        return ALERT_OUT
    return ALERT_LOW if left <= low_stock else ALERT_NONE


async def take_unit(
    session: AsyncSession, product: Product, charge_id: str, user_id: int, now: datetime
) -> Unit | None:
    """In the payment's transaction: take one code and/or one unit of `product` for this
    payment; None when nothing is left. The caller holds `stock_lock(product.id)`."""
    stock = StockRepository(session)
    if product.stock is not None and await stock.units_sold(product.id) >= product.stock:
        return None
    code = None
    if product.codes:
        code = await stock.take_code(product.id, charge_id, user_id, now)
        if code is None:
            return None
    if product.stock is not None:
        await stock.add_unit_sale(product.id, charge_id, user_id, now)
    return Unit(code)


def sold_out_apology(
    product: Product, user_id: int, amount: int, charge_id: str, now: datetime
) -> Row:
    """To the buyer of a payment that found nothing left: sorry, and the money goes back."""
    return outbox_row(
        user_id,
        texts.sold_out_apology(product, amount, charge_id),
        priority=OutboxPriority.PAYMENT_NOTICE,
        dedupe_key=f"payment:{charge_id}",
        now=now,
    )


def owed_sold_out_refund(charge_id: str, user_id: int, amount: int, now: datetime) -> Row:
    return owed_refund_row(charge_id, user_id, amount, SOLD_OUT_REASON, now)


async def queue_stock_alerts(
    session: AsyncSession,
    products: Iterable[Product],
    admin_ids: Collection[int],
    low: int,
    recipients: Recipients,
) -> list[Row]:
    """In the transaction that sold from `products`: the admins' notices owed for those that
    fell to `low` or to none, each once until the stock rises above it again, each in the
    admin's language (`recipients`)."""
    limited = {p.id: p for p in products if p.limited}
    if not limited or not admin_ids:
        return []
    counts = await StockRepository(session).counts(limited)
    states = SyncStateRepository(session)
    messages: list[Row] = []
    for product in limited.values():
        left = left_of(product, counts.get(product.id, StockCount()))
        level = alert_level(left, low)
        name = f"stock-alert:{product.id}"
        if level <= await states.get(name):
            continue
        await states.set(name, level)
        notice = partial(_stock_notice, product, left, level)
        messages += [
            outbox_row(
                admin, recipients.render(admin, notice), priority=OutboxPriority.ADMIN_NOTICE
            )
            for admin in sorted(admin_ids)
        ]
        logger.info("stock of {} is {} left: admins told", product.id, left)
    return messages


def _stock_notice(product: Product, left: int, level: int) -> str:
    if level == ALERT_OUT:
        return texts.stock_out_notice(product)
    return texts.stock_low_notice(product, left)


async def _rearm_alerts(session: AsyncSession, products: list[Product], low: int) -> None:
    """Stock that rose above an alert's level (codes added, units returned) makes the alert
    due again when it falls back."""
    counts = await StockRepository(session).counts([p.id for p in products])
    states = SyncStateRepository(session)
    for product in products:
        level = alert_level(left_of(product, counts.get(product.id, StockCount())), low)
        name = f"stock-alert:{product.id}"
        if level < await states.get(name):
            await states.set(name, level)


@dataclass
class _Hold:
    user_id: int
    until: float  # time.monotonic()


class StockKeeper:
    """What is left of each limited product, and the units pre-checkouts hold, in memory."""

    def __init__(
        self,
        writer: Writer,
        readers: SessionFactory,
        catalog: Catalog,
        *,
        reservation_seconds: float = 120.0,
        low_stock: int = DEFAULT_LOW_STOCK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.writer = writer
        self.readers = readers
        self.products = [p for p in catalog if p.limited]
        self.reservation_seconds = reservation_seconds
        self.low_stock = low_stock
        self.clock = clock
        self._left: dict[str, int] = {}  # in the database, as last read, less sales since
        self._holds: dict[str, list[_Hold]] = {p.id: [] for p in self.products}
        self._sales: dict[str, int] = dict.fromkeys(self._holds, 0)  # payments settled
        self._loaded = asyncio.Event()

    async def reserve(self, product: Product, user_id: int) -> bool:
        """Hold a unit of `product` for this buyer's payment; False when none is left. Waits
        only for the first count at start."""
        if not product.limited:
            return True
        await self._loaded.wait()
        holds = self._live_holds(product.id)
        if self._left.get(product.id, 0) - len(holds) <= 0:
            return False
        holds.append(_Hold(user_id, self.clock() + self.reservation_seconds))
        return True

    def settle(self, product_id: str, user_id: int, *, took: bool, sold_out: bool) -> None:
        """A payment of `product_id` was stored: it ends the buyer's hold, and the unit it
        `took` is no longer left; `sold_out`: the database had none left."""
        holds = self._holds.get(product_id)
        if holds is None:
            return
        for index, hold in enumerate(holds):
            if hold.user_id == user_id:
                del holds[index]
                break
        left = self._left.get(product_id, 0)
        if took or sold_out:
            self._left[product_id] = max(0, left - 1) if took else 0
        self._sales[product_id] += 1

    def left(self, product_id: str) -> int | None:
        """Units of a limited product for sale now (held ones excluded); None: not limited, or
        not counted yet."""
        if product_id not in self._left:
            return None
        return max(0, self._left[product_id] - len(self._live_holds(product_id)))

    def reserved(self, product_id: str) -> int:
        return len(self._live_holds(product_id)) if product_id in self._holds else 0

    def sold_out(self) -> frozenset[str]:
        """The limited products with nothing left for sale now."""
        return frozenset(p.id for p in self.products if self.left(p.id) == 0)

    async def sold_out_once_counted(
        self, patience: float = COUNT_PATIENCE_SECONDS
    ) -> frozenset[str]:
        """`sold_out`, after the first count at start if it comes within `patience`: a shop
        listed before it would offer what is gone (pre-checkout would still refuse it)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(patience):
                await self._loaded.wait()
        return self.sold_out()

    async def report(self) -> list[StockLine]:
        """Each limited product as the database has it now, with the units held in memory."""
        async with self.readers() as session:
            counts = await StockRepository(session).counts([p.id for p in self.products])
        lines = []
        for product in self.products:
            count = counts.get(product.id, StockCount())
            reserved = self.reserved(product.id)
            left = max(0, left_of(product, count) - reserved)
            sold = max(count.codes_sold, count.units_sold)
            lines.append(StockLine(product, left, sold, reserved))
        return lines

    async def refresh(self) -> None:
        """Read what is left from the database. A product that sold meanwhile keeps its count
        (the read may predate the sale) until the next refresh; alerts whose stock rose
        above their level are made due again."""
        if not self.products:
            self._loaded.set()
            return
        before = dict(self._sales)
        async with self.readers() as session:
            counts = await StockRepository(session).counts([p.id for p in self.products])
            states = SyncStateRepository(session)
            alerted = {p.id: await states.get(f"stock-alert:{p.id}") for p in self.products}
        self.apply(counts, sales_before=before)
        rearm = [
            product
            for product in self.products
            if alert_level(left_of(product, counts.get(product.id, StockCount())), self.low_stock)
            < alerted[product.id]
        ]
        if rearm:
            await self.writer.write(lambda s: _rearm_alerts(s, rearm, self.low_stock))

    def apply(
        self, counts: dict[str, StockCount], *, sales_before: dict[str, int] | None = None
    ) -> None:
        """Take the database's `counts` as what is left. A product that sold since
        `sales_before` (the read may predate that sale) keeps its own count until the next."""
        for product in self.products:
            sold_since = sales_before and self._sales[product.id] != sales_before[product.id]
            if not self._loaded.is_set() or not sold_since:
                self._left[product.id] = left_of(product, counts.get(product.id, StockCount()))
        self._loaded.set()

    def _live_holds(self, product_id: str) -> list[_Hold]:
        holds = self._holds.setdefault(product_id, [])
        now = self.clock()
        if holds and holds[0].until <= now:  # holds are in time order: drop the expired ones
            holds[:] = [hold for hold in holds if hold.until > now]
        return holds
