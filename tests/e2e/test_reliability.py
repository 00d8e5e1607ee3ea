"""Nothing lost: kill -9, SIGTERM, flood limits, blocked users and payments seen only later.

Every test here runs `python -m bot` as a child process against the emulator.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.services.offers import PayloadSigner
from emulator import CheckoutResult, Fault, User
from entitlements import has
from storage import (
    InboxStatus,
    InboxUpdate,
    OutboxMessage,
    Payment,
    SessionFactory,
    create_engine,
    create_session_factory,
)
from tests.e2e.process import BotProcess
from tests.helpers import ADMIN_ID, eventually, request_invoice, say

CONFIRMATION = "Thank you, payment received!"


@pytest.fixture
async def bot_db(database_url) -> AsyncIterator[SessionFactory]:
    """A session factory on the child's database, for assertions."""
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def child(emulator, tmp_path, database_url) -> AsyncIterator[BotProcess]:
    bot = BotProcess(emulator, tmp_path, admin_ids=ADMIN_ID, database_url=database_url)
    yield bot
    await bot.kill()


async def invoices_for(emulator, count: int, product_id: str = "gold", timeout: float = 10.0):
    buyers = [emulator.user(f"Buyer {n}") for n in range(count)]
    invoices = await asyncio.gather(
        *(request_invoice(emulator, b, product_id, timeout=timeout) for b in buyers)
    )
    return list(zip(buyers, invoices, strict=True))


def confirmations_by_user(emulator) -> Counter[int]:
    return Counter(
        m["chat"]["id"] for m in emulator.sent_messages() if CONFIRMATION in m.get("text", "")
    )


async def assert_nothing_lost(emulator, bot_db, paid: list[tuple[User, CheckoutResult]]):
    """Every charge stored once, every buyer entitled and confirmed."""
    charged = {r.charge_id: buyer for buyer, r in paid if r.ok}
    assert charged, "no payment went through"
    for buyer in charged.values():
        await emulator.wait_for_message(buyer.id, text_contains=CONFIRMATION, timeout=30)
    async with bot_db() as session:
        payments = (await session.exec(select(Payment))).all()
        for buyer in charged.values():
            assert await has(session, buyer.id, "gold")
    stored = Counter(p.telegram_payment_charge_id for p in payments)
    assert stored == Counter(set(charged)), "each charge stored exactly once, no others"
    return charged


async def burst_with(emulator, bot: BotProcess, act_at: int, action) -> list:
    """50 buyers pay at once; `action` runs when the bot answers pre-checkout number `act_at`."""
    pairs = await invoices_for(emulator, 50)
    answers = 0

    def on_request(request) -> None:
        nonlocal answers
        if request.method == "answerPreCheckoutQuery":
            answers += 1
            if answers == act_at:
                action()

    emulator.on_request = on_request
    results = await asyncio.gather(
        *(emulator.pay(buyer, invoice, timeout=20) for buyer, invoice in pairs)
    )
    emulator.on_request = None
    return [(buyer, result) for (buyer, _), result in zip(pairs, results, strict=True)]


@pytest.mark.slow
async def test_kill_9_in_the_middle_of_a_burst_loses_and_doubles_nothing(emulator, child, bot_db):
    await child.start()
    restarted: list[asyncio.Task] = []

    def kill_and_restart() -> None:
        assert child.process is not None
        child.process.kill()  # SIGKILL: no handler, no cleanup
        restarted.append(asyncio.ensure_future(child.start()))

    paid = await burst_with(emulator, child, 25, kill_and_restart)
    await restarted[0]
    charged = await assert_nothing_lost(emulator, bot_db, paid)
    assert len(charged) >= 25
    await say(emulator, emulator.user("Late"), "/help")  # the outbox is drained in order
    confirmed = confirmations_by_user(emulator)
    assert set(confirmed) == {buyer.id for buyer in charged.values()}
    # A message is marked sent right after Telegram accepts it: the one in flight at the kill
    # may be sent again, never lost.
    assert sum(confirmed.values()) - len(confirmed) <= 1, confirmed


@pytest.mark.slow
async def test_sigterm_in_the_middle_of_a_burst_exits_0_in_time_and_loses_nothing(
    emulator, child, bot_db
):
    await child.start()
    paid_task = asyncio.ensure_future(
        burst_with(emulator, child, 25, lambda: child.signal(signal.SIGTERM))
    )
    await emulator.wait_for("answerPreCheckoutQuery", count=25, answered=False, timeout=30)
    assert await child.wait(timeout=10) == 0
    await child.start()
    paid = await paid_task
    await assert_nothing_lost(emulator, bot_db, paid)
    await say(emulator, emulator.user("Late"), "/help")
    assert set(confirmations_by_user(emulator).values()) == {1}
    assert "SIGTERM received: stopping" in child.log()


async def test_payment_taken_while_the_bot_was_down_is_recovered_and_not_doubled(
    emulator, tmp_path, bot_db, database_url
):
    buyer = emulator.user("Offline buyer")
    payload = PayloadSigner(emulator.token).encode("gold", 25)
    charge_id = emulator.pay_while_bot_down(buyer, payload, 25)
    bot = BotProcess(
        emulator, tmp_path, admin_ids=ADMIN_ID, reconcile_settle=0, database_url=database_url
    )
    try:
        await bot.start()
        recovered = await emulator.wait_for_message(
            buyer.id, text_contains="We found a payment of yours", timeout=15
        )
        assert charge_id in recovered["text"]
        admin = emulator.user("Admin", id=ADMIN_ID)
        report = await say(emulator, admin, "/reconcile")
        assert "Nothing was missing" in report["text"]

        # Another one while the bot runs but its update never came: /reconcile finds it.
        second = emulator.pay_while_bot_down(
            buyer, PayloadSigner(emulator.token).encode("pro_month", 100), 100
        )
        report = await say(emulator, admin, "/reconcile")
        assert second in report["text"]
        await emulator.wait_for_message(buyer.id, text_contains="Pro, 30 days")
        again = await say(emulator, admin, "/reconcile")
        assert "Nothing was missing" in again["text"]
    finally:
        await bot.kill()
    async with bot_db() as session:
        payments = (await session.exec(select(Payment))).all()
        assert await has(session, buyer.id, "gold") and await has(session, buyer.id, "pro")
    assert sorted(p.telegram_payment_charge_id for p in payments) == sorted([charge_id, second])
    assert {p.source for p in payments} == {"reconcile"}
    recovered_notes = [
        m for m in emulator.sent_messages(buyer.id) if "We found a payment" in m.get("text", "")
    ]
    assert len(recovered_notes) == 2


@pytest.mark.slow
async def test_200_payments_under_telegrams_flood_limit_are_stored_at_once_and_all_confirmed(
    emulator, child, bot_db
):
    await child.start()
    emulator.message_rate_limit = 30
    # 200 invoices at Telegram's 30/s: many get 429 and are sent again, late but not never.
    pairs = await invoices_for(emulator, 200, timeout=60)
    results = await asyncio.gather(*(emulator.pay(b, inv) for b, inv in pairs))
    assert all(r.ok for r in results)

    async def all_stored() -> bool:
        async with bot_db() as session:
            return len((await session.exec(select(Payment))).all()) == 200

    await eventually(all_stored, timeout=30)
    assert sum(confirmations_by_user(emulator).values()) < 200  # storing did not wait for them
    await assert_nothing_lost(
        emulator, bot_db, list(zip([b for b, _ in pairs], results, strict=True))
    )
    assert set(confirmations_by_user(emulator).values()) == {1}
    assert emulator.rate_limited > 0, "the test should have pushed the bot into 429s"


async def test_blocked_user_does_not_hold_up_the_outbox(emulator, child, bot_db):
    await child.start()
    (blocker, blocker_invoice), *others = await invoices_for(emulator, 4)
    emulator.block(blocker.id, notify=False)
    assert (await emulator.pay(blocker, blocker_invoice)).ok
    results = [await emulator.pay(buyer, invoice) for buyer, invoice in others]
    for (buyer, _), result in zip(others, results, strict=True):
        assert result.ok
        await emulator.wait_for_message(buyer.id, text_contains=CONFIRMATION)

    async def blocker_given_up():
        async with bot_db() as session:
            rows = (
                await session.exec(
                    select(OutboxMessage).where(OutboxMessage.chat_id == blocker.id)
                )
            ).all()
        return rows and rows[0].failed_at is not None and rows[0]

    row = await eventually(blocker_given_up)
    assert "blocked" in (row.last_error or "")
    async with bot_db() as session:
        assert await has(session, blocker.id, "gold")  # paid is paid, message or not
    assert "blocked the bot" in child.log()


@pytest.mark.slow
async def test_confirmation_survives_5xx_502_and_429_from_telegram(emulator, child, bot_db):
    await child.start()
    [(buyer, invoice)] = await invoices_for(emulator, 1)
    emulator.inject("sendMessage", Fault(status=500, description="Internal Server Error"))
    emulator.inject("sendMessage", Fault(status=502))
    emulator.inject("sendMessage", Fault(status=429, retry_after=1))
    since = emulator.mark()
    assert (await emulator.pay(buyer, invoice)).ok
    await emulator.wait_for_message(buyer.id, text_contains=CONFIRMATION, since=since, timeout=20)
    faults = [r.fault for r in emulator.calls("sendMessage")[-4:] if r.fault]
    assert len(faults) == 3
    assert confirmations_by_user(emulator)[buyer.id] == 1


# -- the inbox: stored before confirmed, handled after a restart ------------------------------


async def stored_behind_a_slow_update(emulator, bot: BotProcess, buyers: int):
    """With one update at a time, an admin's /reconcile hangs on Telegram while `buyers` pay:
    their payments are stored in the inbox (confirmed to Telegram) but not yet handled."""
    await emulator.wait_for("getStarTransactions")  # the reconciliation at start is done
    emulator.inject("getStarTransactions", Fault(status=None, delay=60))
    admin = emulator.user("Admin", id=ADMIN_ID)
    emulator.send_text(admin, "/reconcile")
    await emulator.wait_for("getStarTransactions", count=2, answered=False)
    signer = PayloadSigner(emulator.token)
    people = [emulator.user(f"Buyer {n}") for n in range(buyers)]
    results = await asyncio.gather(
        *(emulator.pay(p, payload=signer.encode("gold", 25), total_amount=25) for p in people)
    )
    assert all(r.ok for r in results), "pre-checkouts do not wait for the busy handler"
    last = max(r.successful_payment_update_id or 0 for r in results)
    await emulator.wait_confirmed(last, timeout=15)  # so they are in the inbox
    return list(zip(people, results, strict=True))


async def unhandled_payments(bot_db) -> int:
    async with bot_db() as session:
        statement = select(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.PENDING, InboxUpdate.kind == "message"
        )
        return len((await session.exec(statement)).all())


@pytest.mark.slow
async def test_kill_9_after_the_inbox_commit_loses_and_doubles_nothing(
    emulator, tmp_path, bot_db, database_url
):
    bot = BotProcess(
        emulator, tmp_path, admin_ids=ADMIN_ID, concurrent_updates=1, database_url=database_url
    )
    try:
        await bot.start()
        paid = await stored_behind_a_slow_update(emulator, bot, buyers=20)
        async with bot_db() as session:
            assert (await session.exec(select(Payment))).all() == []
        assert await unhandled_payments(bot_db) == 21  # the /reconcile and the 20 payments
        await bot.kill()  # SIGKILL: no handler, no cleanup

        bot.variables["concurrent_updates"] = 200
        await bot.start()
        await assert_nothing_lost(emulator, bot_db, paid)
        await say(emulator, emulator.user("Late"), "/help")  # the outbox is drained in order
        assert set(confirmations_by_user(emulator).values()) == {1}
        payment_updates = [r.successful_payment_update_id for _, r in paid]
        assert {emulator.deliveries[u] for u in payment_updates} == {1}  # never fetched again
    finally:
        await bot.kill()


@pytest.mark.slow
async def test_sigterm_exits_0_in_time_and_leaves_unfinished_updates_for_the_next_start(
    emulator, tmp_path, bot_db, database_url
):
    bot = BotProcess(
        emulator,
        tmp_path,
        admin_ids=ADMIN_ID,
        concurrent_updates=1,
        database_url=database_url,
        shutdown_grace=2,  # the hung handler is given up on after this
    )
    try:
        await bot.start()
        paid = await stored_behind_a_slow_update(emulator, bot, buyers=10)
        began = asyncio.get_running_loop().time()
        bot.signal(signal.SIGTERM)
        assert await bot.wait(timeout=10) == 0
        assert asyncio.get_running_loop().time() - began < 10
        assert await unhandled_payments(bot_db) == 11  # the cut-off /reconcile and 10 payments

        await bot.start()
        await assert_nothing_lost(emulator, bot_db, paid)
        assert await unhandled_payments(bot_db) == 0
    finally:
        await bot.kill()
