"""The one rule of ownership: what a buyer already has, and so is not sold again.

A one-time product is owned while the buyer holds every key it gives. A subscription is owned
while the buyer's subscription to it has not ended, cancelled or not: a cancelled one runs to the
end of its period, and /subscriptions resumes it rather than selling a second one. Timed products
can always be bought again (they extend), and so can consumables. The shop (before an invoice),
the pre-checkout (before the money moves) and the payment writer (after it moved, for invoices
paid back to back) all ask here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.catalog import Product, ProductKind
from entitlements import held_keys
from storage import SessionFactory, SubscriptionRepository, utcnow


@dataclass(frozen=True)
class Holdings:
    """What one buyer has, as far as the products asked about go."""

    keys: frozenset[str] = field(default_factory=frozenset)  # entitlement keys held now
    subscriptions: frozenset[str] = field(default_factory=frozenset)  # product ids, not ended

    def with_product(self, product: Product) -> Holdings:
        """What the buyer has once `product` is theirs too."""
        if product.kind is ProductKind.SUBSCRIPTION:
            return Holdings(self.keys, self.subscriptions | {product.id})
        return Holdings(self.keys | set(product.grants), self.subscriptions)


def owns(product: Product, holdings: Holdings) -> bool:
    """Whether a buyer with `holdings` already owns `product`."""
    match product.kind:
        case ProductKind.ONE_TIME:
            return set(product.grants) <= holdings.keys
        case ProductKind.SUBSCRIPTION:
            return product.id in holdings.subscriptions
        case _:
            return False


async def holdings_of(
    session: AsyncSession,
    user_ids: Iterable[int],
    products: Iterable[Product],
    *,
    now: datetime | None = None,
) -> dict[int, Holdings]:
    """What each of `user_ids` has of what `products` are about, in at most two queries."""
    users, now = set(user_ids), now or utcnow()
    keys = {key for p in products if p.kind is ProductKind.ONE_TIME for key in p.grants}
    subscribed = {p.id for p in products if p.kind is ProductKind.SUBSCRIPTION}
    held = await held_keys(session, users, keys, now=now)
    running = await SubscriptionRepository(session).running_products(users, subscribed, now)
    return {
        user: Holdings(frozenset(held.get(user, ())), frozenset(running.get(user, ())))
        for user in users
    }


class OwnershipLookup:
    """Answers "does this buyer own this product?" from the read connections.

    The questions asked while one look-up runs are answered together by the next one, in a
    query or two: a crowd of buyers paying at once costs a handful of queries, not one each.
    """

    def __init__(self, readers: SessionFactory) -> None:
        self._readers = readers
        self._asked: list[tuple[int, Product, asyncio.Future[bool]]] = []
        self._running: asyncio.Task[None] | None = None

    async def already_owns(self, user_id: int, product: Product) -> bool:
        """Whether `user_id` owns `product` right now (no look-up for a timed product or a
        consumable: those are bought again and again)."""
        if product.kind in (ProductKind.TIMED, ProductKind.CONSUMABLE):
            return False
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._asked.append((user_id, product, answer))
        if self._running is None:
            self._running = asyncio.create_task(self._answer_all())
        return await answer

    async def _answer_all(self) -> None:
        try:
            while self._asked:
                asked, self._asked = self._asked, []
                users = {user_id for user_id, _, _ in asked}
                try:
                    async with self._readers() as session:
                        holdings = await holdings_of(session, users, [p for _, p, _ in asked])
                except Exception as exc:  # every waiter hears it, none hangs
                    for *_, answer in asked:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for user_id, product, answer in asked:
                    if not answer.done():
                        answer.set_result(owns(product, holdings[user_id]))
        finally:
            self._running = None
