"""The outbox's order: what is owed to a buyer goes before a queue of admin notices."""

from __future__ import annotations

import asyncio

from emulator import Request
from storage import OutboxPriority, OutboxRepository
from storage.repositories import outbox_row
from tests.helpers import ADMIN_ID, request_invoice, wait_handled


async def test_a_buyers_confirmation_overtakes_80_admin_notices_queued_before_it(emulator, shop):
    buyer = emulator.user("Ann")
    invoice = await request_invoice(emulator, buyer, "gold")
    in_flight, release = asyncio.Event(), asyncio.Event()

    async def hold_the_first_admin_notice(request: Request) -> None:
        to_admin = request.method == "sendMessage" and request.params["chat_id"] == ADMIN_ID
        if to_admin and not in_flight.is_set():
            in_flight.set()
            await release.wait()

    emulator.on_request = hold_the_first_admin_notice
    # As a flood of support requests or payment alerts would leave them.
    notices = [
        outbox_row(ADMIN_ID, f"notice {n}", priority=OutboxPriority.ADMIN_NOTICE)
        for n in range(80)
    ]
    async with shop.sessions() as session:
        await OutboxRepository(session).queue_many(notices)
        await session.commit()
    await asyncio.wait_for(in_flight.wait(), 10)  # the sender is sending the first of them

    paid = await emulator.pay(buyer, invoice)
    assert paid.ok and paid.successful_payment_update_id is not None
    await wait_handled(shop, paid.successful_payment_update_id)  # the confirmation is owed
    release.set()
    await emulator.wait_for_message(buyer.id, text_contains="Thank you")

    sent = [r.params for r in emulator.requests if r.method == "sendMessage"]
    order = [p["text"] if p["chat_id"] == ADMIN_ID else "confirmation" for p in sent]
    # Only the notice in flight went before it; the other 79 wait behind it.
    assert order[:2] == ["notice 0", "confirmation"]
    assert order.count("confirmation") == 1
