"""Filters run in the event loop: no worker thread for a field check."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher, F, Router
from aiogram.types import Message, Update

from bot.filters import Magic
from bot.routers import create_routers

PAYMENT = {
    "update_id": 1,
    "message": {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": 7, "type": "private", "first_name": "Ann"},
        "from": {"id": 7, "is_bot": False, "first_name": "Ann"},
        "successful_payment": {
            "currency": "XTR",
            "total_amount": 25,
            "invoice_payload": "p",
            "telegram_payment_charge_id": "stx1",
            "provider_payment_charge_id": "",
        },
    },
}


async def test_a_magic_filter_is_checked_without_a_thread(monkeypatch):
    async def no_threads(*args, **kwargs):
        raise AssertionError("a filter went to a worker thread")

    monkeypatch.setattr(asyncio, "to_thread", no_threads)
    seen: list[str] = []
    router = Router()

    @router.message(Magic(F.refunded_payment))
    async def refunded(message: Message) -> None:
        seen.append("refunded")

    @router.message(Magic(F.successful_payment))
    async def paid(message: Message) -> None:
        seen.append("paid")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    await dispatcher.feed_update(Bot("1:x"), Update.model_validate(PAYMENT))
    assert seen == ["paid"]


def test_the_payment_routers_use_no_bare_magic_filter():
    payment_routers = create_routers()[:2]  # checkout, refunds: every message passes them
    for router in payment_routers:
        for handler in router.message.handlers:
            for event_filter in handler.filters or []:
                assert event_filter.magic is None, (router.name, handler.callback)
