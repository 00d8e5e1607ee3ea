"""The outbox sender's batches: messages queued while it sends end a batch only when they are
more urgent than the rest of it, so a burst of confirmations costs one claim for several."""

from __future__ import annotations

import asyncio

from bot.outbox import CLAIM_BATCH, OutboxSender
from emulator import Request
from storage import OutboxPriority, OutboxRepository
from storage.repositories import most_urgent, outbox_row
from tests.helpers import eventually

BURST = 30


def sent_texts(emu) -> list[str]:
    return [r.params["text"] for r in emu.requests if r.method == "sendMessage" and r.ok]


async def test_confirmations_queued_while_sending_are_sent_in_batches(emu, bot, writer, commits):
    """A batch is owed; each message sent has one more queued, in a transaction of its own, as
    a sale's payments keep queueing confirmations: every one is sent, in order, with one claim
    for a batch of them, not a claim and a release for each."""
    buyer = emu.user("Ann")
    sender = OutboxSender(bot, writer, rate=1000)
    writer.after_commit.append(lambda changed: sender.wake(most_urgent(changed)))

    async def queue(numbers: range) -> None:
        rows = [
            outbox_row(buyer.id, f"confirmation {n}", priority=OutboxPriority.PAYMENT_NOTICE)
            for n in numbers
        ]
        await writer.write(lambda session: OutboxRepository(session).queue_many(rows))

    queued = CLAIM_BATCH

    async def queue_one_more(request: Request) -> None:
        nonlocal queued
        if request.method == "sendMessage" and queued < BURST:
            queued += 1
            await queue(range(queued - 1, queued))

    await queue(range(CLAIM_BATCH))
    emu.on_request = queue_one_more
    sender.start()
    try:
        await eventually(lambda: asyncio.sleep(0, result=len(sent_texts(emu)) == BURST))
    finally:
        await sender.stop(within=1)

    assert sent_texts(emu) == [f"confirmation {n}" for n in range(BURST)]
    # The first batch's one commit, then one for each message queued after it, and one
    # marking each sent; the claims come on top: one per batch, and an empty one or two when
    # the sender found nothing more. Giving back the rest of a batch at each new message would
    # cost two more commits per message.
    claims = commits.count - (1 + BURST - CLAIM_BATCH) - BURST
    assert claims <= BURST // CLAIM_BATCH + 3, claims


async def test_a_more_urgent_message_queued_while_sending_still_ends_the_batch(emu, bot, writer):
    """Admin notices are being sent; a confirmation queued meanwhile goes out right after the
    one in flight, before the rest of the batch."""
    admin, buyer = emu.user("Admin"), emu.user("Ann")
    sender = OutboxSender(bot, writer, rate=1000)
    writer.after_commit.append(lambda changed: sender.wake(most_urgent(changed)))
    notices = [
        outbox_row(admin.id, f"notice {n}", priority=OutboxPriority.ADMIN_NOTICE)
        for n in range(CLAIM_BATCH)
    ]
    await writer.write(lambda session: OutboxRepository(session).queue_many(notices))
    confirmation = outbox_row(buyer.id, "confirmation", priority=OutboxPriority.PAYMENT_NOTICE)
    first = True

    async def queue_a_confirmation_during_the_first(request: Request) -> None:
        nonlocal first
        if request.method == "sendMessage" and first:
            first = False
            await writer.write(
                lambda session: OutboxRepository(session).queue_many([confirmation])
            )

    emu.on_request = queue_a_confirmation_during_the_first
    sender.start()
    try:
        await eventually(lambda: asyncio.sleep(0, result=len(sent_texts(emu)) == CLAIM_BATCH + 1))
    finally:
        await sender.stop(within=1)

    assert sent_texts(emu)[:3] == ["notice 0", "confirmation", "notice 1"]
