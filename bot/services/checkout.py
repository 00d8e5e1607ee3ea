"""The pre-checkout decision: the offer rules, then whether the buyer already owns it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from loguru import logger

from bot.catalog import Catalog, ProductKind
from bot.outcomes import Refusal
from bot.services.chat_setup import ManagedChats
from bot.services.offers import OfferCheck, PayloadSigner, check_offer
from bot.services.ownership import OwnershipLookup
from bot.services.stock import StockKeeper
from storage import AUDIT_PRE_CHECKOUT, Writer, add_audit_events
from storage.repositories import audit_row

# Telegram cancels the payment if the answer takes over 10 s; the database gets this much of it,
# and the answer (with retries after a 5xx or a network error) must be in by the second figure.
DB_BUDGET_SECONDS = 3.0
ANSWER_BUDGET_SECONDS = 8.0


@dataclass(frozen=True)
class PreCheckout:
    user_id: int
    currency: str
    total_amount: int
    invoice_payload: str


class Checkout:
    """Decides a pre-checkout within the time Telegram gives, and keeps what it decided."""

    def __init__(
        self,
        writer: Writer,
        ownership: OwnershipLookup,
        catalog: Catalog,
        signer: PayloadSigner,
        *,
        db_budget: float = DB_BUDGET_SECONDS,
        stock: StockKeeper | None = None,
        chats: ManagedChats | None = None,
    ) -> None:
        self.writer = writer
        self.ownership = ownership
        self.catalog = catalog
        self.signer = signer
        self.db_budget = db_budget
        self.stock = stock  # limited products: a unit is reserved in memory, or sold out
        self.chats = chats  # a product whose private chat the bot cannot manage is not sold

    async def decide(self, query: PreCheckout) -> OfferCheck:
        """Accept or refuse a pre-checkout; a slow or failing database refuses as temporary."""
        check = check_offer(
            self.catalog,
            self.signer,
            payload=query.invoice_payload,
            currency=query.currency,
            total_amount=query.total_amount,
        )
        product = check.product
        if check.refusal is not None or product is None:
            return check
        if self.chats is not None and self.chats.unusable_chats_of(product):
            return OfferCheck(product, Refusal.CHAT_UNAVAILABLE)
        try:
            async with asyncio.timeout(self.db_budget):
                owned = await self.ownership.already_owns(query.user_id, product)
                stock = self.stock
                if not owned and stock and not await stock.reserve(product, query.user_id):
                    return OfferCheck(product, Refusal.SOLD_OUT)
        except Exception as exc:  # slow, locked, failing: whatever it is, the buyer gets an answer
            logger.error("pre-checkout: database did not answer in time ({!r}), refusing", exc)
            return OfferCheck(product, Refusal.TEMPORARY)
        if not owned:
            return check
        subscribed = product.kind is ProductKind.SUBSCRIPTION
        refusal = Refusal.ALREADY_SUBSCRIBED if subscribed else Refusal.ALREADY_OWNED
        return OfferCheck(product, refusal)

    async def audit(self, query: PreCheckout, check: OfferCheck, raw: dict[str, object]) -> None:
        """Keep the query and the decision; best effort, since the answer has already gone."""
        event = audit_row(
            AUDIT_PRE_CHECKOUT,
            raw,
            user_id=query.user_id,
            decision="refused" if check.refusal else "accepted",
            reason=check.refusal.value if check.refusal else None,
        )
        try:
            async with asyncio.timeout(DB_BUDGET_SECONDS * 2):
                await self.writer.write_many(add_audit_events, event)
        except Exception as exc:
            logger.error("pre-checkout: could not write the audit row: {!r}", exc)
