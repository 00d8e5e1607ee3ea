"""/mypurchases: what the buyer owns now, their subscriptions, and their receipts."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import texts
from bot.catalog import Catalog
from entitlements import list_active
from storage import (
    PaymentRepository,
    RefundRepository,
    SessionFactory,
    SubscriptionRepository,
    utcnow,
)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_mypurchases, Command("mypurchases"))
    return router


async def cmd_mypurchases(message: Message, readers: SessionFactory, catalog: Catalog) -> None:
    if message.from_user is None:
        return
    user_id, now = message.from_user.id, utcnow()
    async with readers() as session:
        active = await list_active(session, user_id, now=now)
        subscriptions = await SubscriptionRepository(session).list_for_user(user_id)
        payments = await PaymentRepository(session).list_for_user(user_id, limit=20)
        refunds = await RefundRepository(session).refunded_among(
            [p.telegram_payment_charge_id for p in payments]
        )
    text = texts.my_purchases(active, subscriptions, payments, refunds, catalog, now)
    await message.answer(text)
