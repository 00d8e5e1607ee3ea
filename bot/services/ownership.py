"""The one rule of ownership: a buyer who holds every key of a one-time product owns it.

Timed products and subscriptions can always be bought again (they extend). The shop (before
an invoice), the pre-checkout (before the money moves) and the payment writer (after it moved,
for invoices paid back to back) all ask here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from bot.catalog import Product, ProductKind
from entitlements import held_keys
from storage import SessionFactory


def owns(product: Product, held: Collection[str]) -> bool:
    """Whether a buyer holding the keys `held` already owns `product`."""
    return product.kind is ProductKind.ONE_TIME and set(product.grants) <= set(held)


class OwnershipLookup:
    """Answers "does this buyer own this product?" from the read connections.

    The questions asked while one look-up runs are answered together by the next one, in one
    query: a crowd of buyers paying at once costs a handful of queries, not one each.
    """

    def __init__(self, readers: SessionFactory) -> None:
        self._readers = readers
        self._asked: list[tuple[int, Product, asyncio.Future[bool]]] = []
        self._running: asyncio.Task[None] | None = None

    async def already_owns(self, user_id: int, product: Product) -> bool:
        """Whether `user_id` owns `product` right now (a look-up only for one-time products)."""
        if product.kind is not ProductKind.ONE_TIME:
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
                keys = {key for _, product, _ in asked for key in product.grants}
                try:
                    async with self._readers() as session:
                        held = await held_keys(session, users, keys)
                except Exception as exc:  # every waiter hears it, none hangs
                    for *_, answer in asked:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for user_id, product, answer in asked:
                    if not answer.done():
                        answer.set_result(owns(product, held.get(user_id, set())))
        finally:
            self._running = None
