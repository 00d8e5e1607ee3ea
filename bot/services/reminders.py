"""Reminders a day before paid access ends: of a timed product, with a button to buy it again,
and of a cancelled subscription, with a button to resume it.

A periodic job (`bot.services.container`) looks for due reminders at start and then every few
minutes. A reminder is due from REMINDER_LEAD before the end of the latest paid period a buyer
holds of a product, until that end. It is owed through the outbox under the dedupe key
`reminder:<charge id>:<end>`, so it is owed once however often it is found: a restart sends none
twice, and one that fell due while the bot was down goes out at start, while the period still
runs. A product bought again, renewed, or resumed and renewed before its reminder was found
ends later, under another charge: that reminder is never owed. One already owed is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from loguru import logger

from bot import texts
from bot.catalog import Catalog, Product, ProductKind
from bot.keyboards.shop import buy_again_keyboard
from bot.keyboards.subscriptions import resume_keyboard
from bot.outcomes import SubscriptionState, status_of
from bot.services.languages import Recipients, UserLanguages
from storage import (
    OutboxPriority,
    OutboxRepository,
    SessionFactory,
    Subscription,
    SubscriptionRepository,
    Writer,
    utcnow,
)
from storage.repositories import PaidPeriod, Row, latest_paid_periods, outbox_row

REMINDER_LEAD = timedelta(days=1)
# The kinds whose access ends, and so are reminded of: the others grant forever.
ENDING_KINDS = frozenset({ProductKind.TIMED, ProductKind.SUBSCRIPTION})


class Reminders:
    """Owes the reminders that fell due; run at start and then every few minutes."""

    def __init__(
        self,
        writer: Writer,
        readers: SessionFactory,
        catalog: Catalog,
        *,
        languages: UserLanguages,
    ) -> None:
        self.writer = writer
        self.languages = languages  # a reminder is in its buyer's language
        self.readers = readers
        self.catalog = catalog

    async def queue_due(self, *, now: datetime | None = None) -> int:
        """Owe every reminder due at `now` not owed before; returns how many are new."""
        now = now or utcnow()
        products = {p.id: p for p in self.catalog if p.kind in ENDING_KINDS}
        async with self.readers() as session:
            periods = await latest_paid_periods(session, products, now, now + REMINDER_LEAD)
            subscriptions = await SubscriptionRepository(session).by_first_charges(
                p.subscription_charge_id for p in periods if p.subscription_charge_id
            )
            buyers = await self.languages.of_many(session, {p.user_id for p in periods})
        messages = [
            message
            for period in periods
            if (
                message := reminder(
                    period, products[period.product_id], subscriptions, now, buyers
                )
            )
        ]
        if not messages:
            return 0
        owed = await self.writer.write(
            lambda session: OutboxRepository(session).queue_many(messages)
        )
        if owed:
            logger.info("reminders owed: {} (of {} due)", owed, len(messages))
        return owed


def reminder(
    period: PaidPeriod,
    product: Product,
    subscriptions: Mapping[str, Subscription],
    now: datetime,
    buyers: Recipients,
) -> Row | None:
    """The reminder that the period ends, in the buyer's language (`buyers`), or None when
    none is owed: a subscription that renews (or that this shop never stored) ends only when
    Telegram stops renewing it."""
    return buyers.render(period.user_id, lambda: _reminder(period, product, subscriptions, now))


def _reminder(
    period: PaidPeriod,
    product: Product,
    subscriptions: Mapping[str, Subscription],
    now: datetime,
) -> Row | None:
    if product.kind is ProductKind.TIMED:
        text = texts.reminder_timed(product, period.expires_at)
        markup = buy_again_keyboard(product)
    else:
        subscription = subscriptions.get(period.subscription_charge_id or "")
        if subscription is None or subscription.id is None:
            return None
        if status_of(subscription, now).state is not SubscriptionState.CANCELED:
            return None
        text = texts.reminder_subscription(product, period.expires_at)
        markup = resume_keyboard(product, subscription.id)
    end = int(period.expires_at.timestamp())
    return outbox_row(
        period.user_id,
        text,
        priority=OutboxPriority.REMINDER,
        reply_markup=markup.model_dump_json(exclude_none=True),
        dedupe_key=f"reminder:{period.telegram_payment_charge_id}:{end}",
    )
