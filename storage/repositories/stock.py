"""Codes and units of limited stock: loading codes, taking one for a payment in the transaction
that stores it, giving a unit back on a refund, and counting what is left.

A code is a secret: these functions return it to the caller that hands it to its buyer, and
nothing here logs it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text, update
from sqlmodel import col, select

from storage.goods import CODE_UNSOLD, Code, StockSale
from storage.models import utcnow
from storage.repositories.base import Repository, insert_statement
from storage.writer import mark_changed

# What the writer reports after a commit that put units back on sale: they are counted at once.
STOCK_RETURNED = "stock_returned"


@dataclass(frozen=True)
class StockCount:
    """One product's codes and units, as the database has them."""

    codes_unsold: int = 0  # codes for sale
    codes_sold: int = 0  # codes a payment took (a refunded one stays sold, and is revoked)
    units_sold: int = 0  # stock_sales rows not returned


class StockRepository(Repository):
    """Codes and stock sales; the payment writer and the `codes` command commit."""

    async def add_codes(self, product_id: str, codes: Sequence[str]) -> int:
        """Load `codes` for `product_id`; those already loaded for it are skipped. Returns how
        many were added."""
        if not codes:
            return 0
        table = Code.__table__  # type: ignore[attr-defined]
        now = utcnow()
        rows = [{"product_id": product_id, "code": code, "added_at": now} for code in codes]
        statement = insert_statement(self.session, table).on_conflict_do_nothing()
        statement = statement.returning(table.c.id)
        result = await self.session.exec(statement, params=rows)
        return len(result.all())

    async def take_code(
        self, product_id: str, charge_id: str, user_id: int, now: datetime
    ) -> str | None:
        """Mark the oldest unsold code of `product_id` sold to this payment and return it; None
        when none is left. On PostgreSQL another transaction's code is skipped, not waited
        for; on SQLite the one writer takes codes one at a time."""
        table = Code.__table__  # type: ignore[attr-defined]
        oldest = (
            select(table.c.id)
            .where(table.c.product_id == product_id, text(CODE_UNSOLD))
            .order_by(table.c.id)
            .limit(1)
        )
        if self._dialect() == "postgresql":
            oldest = oldest.with_for_update(skip_locked=True)
        statement = (
            update(table)
            .where(table.c.id == oldest.scalar_subquery())
            .values(telegram_payment_charge_id=charge_id, user_id=user_id, sold_at=now)
            .returning(table.c.code)
        )
        return (await self.session.exec(statement)).scalar_one_or_none()

    async def units_sold(self, product_id: str) -> int:
        """Units of `product_id` sold and not returned."""
        statement = select(func.count()).where(
            StockSale.product_id == product_id, col(StockSale.returned_at).is_(None)
        )
        return (await self.session.exec(statement)).one()

    async def add_unit_sale(
        self, product_id: str, charge_id: str, user_id: int, now: datetime
    ) -> None:
        self.session.add(
            StockSale(
                product_id=product_id,
                telegram_payment_charge_id=charge_id,
                user_id=user_id,
                sold_at=now,
            )
        )
        await self.session.flush()

    async def release(self, charge_id: str, now: datetime) -> None:
        """A refunded payment: its code is revoked (the buyer has seen it, so it is not sold
        again) and its unit goes back to stock."""
        codes = Code.__table__  # type: ignore[attr-defined]
        sales = StockSale.__table__  # type: ignore[attr-defined]
        await self.session.exec(
            update(codes)
            .where(codes.c.telegram_payment_charge_id == charge_id, codes.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        returned = await self.session.exec(
            update(sales)
            .where(sales.c.telegram_payment_charge_id == charge_id, sales.c.returned_at.is_(None))
            .values(returned_at=now)
        )
        if returned.rowcount:
            mark_changed(self.session, STOCK_RETURNED)

    async def counts(self, product_ids: Iterable[str] | None = None) -> dict[str, StockCount]:
        """Codes and units per product (of `product_ids`, or all), in two queries."""
        codes = select(
            Code.product_id,
            func.count().filter(text(CODE_UNSOLD)),
            func.count().filter(col(Code.telegram_payment_charge_id).is_not(None)),
        ).group_by(col(Code.product_id))
        units = (
            select(StockSale.product_id, func.count())
            .where(col(StockSale.returned_at).is_(None))
            .group_by(col(StockSale.product_id))
        )
        if product_ids is not None:
            wanted = list(product_ids)
            codes = codes.where(col(Code.product_id).in_(wanted))
            units = units.where(col(StockSale.product_id).in_(wanted))
        found: dict[str, dict[str, int]] = {}
        for product_id, unsold, sold in (await self.session.exec(codes)).all():
            found.setdefault(product_id, {}).update(codes_unsold=unsold, codes_sold=sold)
        for product_id, sold in (await self.session.exec(units)).all():
            found.setdefault(product_id, {})["units_sold"] = sold
        return {product_id: StockCount(**values) for product_id, values in found.items()}

    async def codes_of(self, charge_ids: Sequence[str]) -> dict[str, str]:
        """The codes these payments took and still hold (not revoked), by charge id: for their
        buyer's eyes only."""
        if not charge_ids:
            return {}
        statement = select(Code.telegram_payment_charge_id, Code.code).where(
            col(Code.telegram_payment_charge_id).in_(list(charge_ids)),
            col(Code.revoked_at).is_(None),
        )
        found = (await self.session.exec(statement)).all()
        return {charge_id: code for charge_id, code in found if charge_id is not None}

    def _dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else "sqlite"
