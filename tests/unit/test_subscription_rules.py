"""Subscriptions without Telegram: where a payment belongs, the state a subscription is in, the
payment writer's batches, and which reminders are owed, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.catalog import SUBSCRIPTION_PERIOD, load_catalog
from bot.config import DEFAULT_CATALOG
from bot.outcomes import Status, SubscriptionState, status_of
from bot.services.offers import PayloadSigner
from bot.services.ownership import holdings_of, owns
from bot.services.payments import PaymentFacts, PaymentRecorder, PaymentSource
from bot.services.reminders import REMINDER_LEAD, Reminders
from bot.services.subscriptions import KnownSubscription, place_in_subscription, store_renewal
from entitlements import list_active, revoke_for_charge
from storage import (
    Entitlement,
    OutboxMessage,
    OutboxPriority,
    Payment,
    Subscription,
    SubscriptionRepository,
    utcnow,
)

CATALOG = load_catalog(DEFAULT_CATALOG)
SIGNER = PayloadSigner("1:test-secret")
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
PAID = datetime.now(UTC).replace(microsecond=0)  # payments made now: their periods run
CLUB_PAYLOAD = SIGNER.encode("club", 75)


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


@pytest.fixture
def recorder(writer, languages) -> PaymentRecorder:
    return PaymentRecorder(writer, CATALOG, SIGNER, (901,), languages=languages)


def club(
    charge_id: str,
    *,
    first: bool | None,
    ends: datetime | None,
    user_id: int = 7,
    paid_at: datetime = PAID,
    payload: str = CLUB_PAYLOAD,
) -> PaymentFacts:
    return PaymentFacts(
        user_id=user_id,
        telegram_payment_charge_id=charge_id,
        total_amount=75,
        currency="XTR",
        invoice_payload=payload,
        paid_at=paid_at,
        is_recurring=True,
        is_first_recurring=first,
        subscription_expiration_date=ends,
    )


@pytest.fixture
def reminders(writer, sessions, languages) -> Reminders:
    return Reminders(writer, sessions, CATALOG, languages=languages)


async def grants_of(sessions, charge_id: str) -> list[Entitlement]:
    """What the payment `charge_id` granted."""
    async with sessions() as session:
        found = await session.exec(
            select(Entitlement).where(Entitlement.telegram_payment_charge_id == charge_id)
        )
        return list(found.all())


async def cancel_renewal(writer, subscription: Subscription) -> None:
    """As Telegram's answer to the buyer's Cancel is stored."""
    assert subscription.id is not None
    subscription_id = subscription.id
    await writer.write(
        lambda session: store_renewal(session, subscription_id, is_canceled=True, ended=False)
    )


async def stored_subscription(sessions, charge_id: str) -> Subscription:
    async with sessions() as session:
        subscription = await SubscriptionRepository(session).get(charge_id)
    assert subscription is not None
    return subscription


# -- the rules, as plain functions ----------------------------------------------------------


def test_telegrams_flags_decide_first_or_renewal_and_its_date_the_period():
    ends = NOW + SUBSCRIPTION_PERIOD
    known = KnownSubscription("stx1", ends, going=True)
    first = place_in_subscription(club("stx1", first=True, ends=ends, paid_at=NOW), None)
    assert (first.first, first.subscription_charge_id, first.expiration) == (True, "stx1", ends)
    later = ends + SUBSCRIPTION_PERIOD
    renewal = place_in_subscription(club("stx2", first=False, ends=later, paid_at=ends), known)
    assert (renewal.first, renewal.subscription_charge_id, renewal.expiration) == (
        False,
        "stx1",
        later,
    )


def test_a_star_transaction_renews_a_subscription_still_going_one_period_on():
    ends = NOW + SUBSCRIPTION_PERIOD
    going = KnownSubscription("stx1", ends, going=True)
    early = place_in_subscription(club("stx2", first=None, ends=None, paid_at=ends), going)
    assert (early.first, early.subscription_charge_id) == (False, "stx1")
    assert early.expiration == ends + SUBSCRIPTION_PERIOD
    late = ends + timedelta(days=3)  # charged after the date: a period from the payment
    after = place_in_subscription(club("stx2", first=None, ends=None, paid_at=late), going)
    assert after.expiration == late + SUBSCRIPTION_PERIOD


def test_a_star_transaction_after_a_cancelled_or_unknown_subscription_starts_a_new_one():
    cancelled = KnownSubscription("stx1", NOW, going=False)
    for known in (cancelled, None):
        placed = place_in_subscription(club("stx9", first=None, ends=None, paid_at=NOW), known)
        assert (placed.first, placed.subscription_charge_id) == (True, "stx9")
        assert placed.expiration == NOW + SUBSCRIPTION_PERIOD


def test_a_renewal_of_a_subscription_never_stored_still_runs_to_its_date():
    ends = NOW + SUBSCRIPTION_PERIOD
    placed = place_in_subscription(club("stx2", first=False, ends=ends, paid_at=NOW), None)
    assert (placed.first, placed.subscription_charge_id, placed.expiration) == (False, None, ends)


def subscription_row(**values) -> Subscription:
    defaults = {
        "telegram_payment_charge_id": "stx1",
        "user_id": 7,
        "product_id": "club",
        "invoice_payload": "p",
        "subscription_expiration_date": NOW + timedelta(days=10),
    }
    return Subscription(**{**defaults, **values})


def test_a_subscription_renews_is_cancelled_or_has_ended():
    ends = NOW + timedelta(days=10)
    assert status_of(subscription_row(), NOW) == Status(SubscriptionState.RENEWS, ends)
    cancelled = subscription_row(is_canceled=True)
    assert status_of(cancelled, NOW).state is SubscriptionState.CANCELED
    assert status_of(cancelled, ends).state is SubscriptionState.ENDED  # lapsing needs no job
    assert status_of(subscription_row(), ends).state is SubscriptionState.ENDED
    refunded = subscription_row(is_canceled=True, ended_at=NOW)
    assert status_of(refunded, NOW) == Status(SubscriptionState.ENDED, NOW)


# -- the payment writer ---------------------------------------------------------------------


async def test_a_first_payment_stores_the_subscription_and_grants_until_telegrams_date(
    sessions, recorder
):
    ends = PAID + SUBSCRIPTION_PERIOD
    await recorder.record(club("stx1", first=True, ends=ends))
    assert [(g.key, g.expires_at) for g in await grants_of(sessions, "stx1")] == [("club", ends)]
    subscription = await stored_subscription(sessions, "stx1")
    assert (subscription.user_id, subscription.product_id) == (7, "club")
    assert subscription.subscription_expiration_date == ends and not subscription.is_canceled


async def test_a_renewal_extends_the_subscription_and_a_duplicate_changes_nothing(
    sessions, recorder
):
    ends, later = PAID + SUBSCRIPTION_PERIOD, PAID + 2 * SUBSCRIPTION_PERIOD
    await recorder.record(club("stx1", first=True, ends=ends))
    renewal = club("stx2", first=False, ends=later)
    first_try, second_try = await asyncio.gather(
        recorder.record(renewal), recorder.record(renewal)
    )
    assert [first_try.recorded, second_try.recorded] == [True, False]
    assert (await stored_subscription(sessions, "stx1")).subscription_expiration_date == later
    async with sessions() as session:
        payments = (await session.exec(select(Payment))).all()
        [active] = await list_active(session, 7)
    assert {p.telegram_payment_charge_id: p.subscription_charge_id for p in payments} == {
        "stx1": "stx1",
        "stx2": "stx1",
    }
    assert active.expires_at == later


async def test_a_first_payment_and_its_renewal_in_one_batch_are_linked(sessions, recorder):
    ends = PAID + SUBSCRIPTION_PERIOD
    first, renewal = await asyncio.gather(
        recorder.record(club("stx1", first=None, ends=None), source=PaymentSource.RECONCILE),
        recorder.record(club("stx2", first=None, ends=None), source=PaymentSource.RECONCILE),
    )
    assert first.recorded and renewal.recorded
    subscription = await stored_subscription(sessions, "stx1")
    assert subscription.subscription_expiration_date == ends + SUBSCRIPTION_PERIOD
    async with sessions() as session:
        assert await SubscriptionRepository(session).get("stx2") is None


async def test_a_second_subscription_to_a_running_one_is_kept_and_referred(sessions, recorder):
    ends = PAID + SUBSCRIPTION_PERIOD
    other_payload = SIGNER.encode("club", 75)  # another link, paid back to back
    first, second = await asyncio.gather(
        recorder.record(club("stx1", first=True, ends=ends)),
        recorder.record(club("stx2", first=True, ends=ends, payload=other_payload)),
    )
    assert first.recorded and second.recorded
    assert await grants_of(sessions, "stx1") and not await grants_of(sessions, "stx2")
    # Kept as a subscription, so that the admin's refund cancels its renewal too.
    assert (await stored_subscription(sessions, "stx2")).product_id == "club"
    async with sessions() as session:
        owed = (await session.exec(select(OutboxMessage))).all()
    assert any("/refund stx2" in m.text for m in owed if m.chat_id == 901)


async def test_a_subscription_is_owned_until_it_ends(sessions, recorder):
    product = CATALOG.get("club")
    assert product is not None
    ends = PAID + SUBSCRIPTION_PERIOD
    await recorder.record(club("stx1", first=True, ends=ends))
    async with sessions() as session:
        now = await holdings_of(session, [7, 8], [product], now=PAID)
        later = await holdings_of(session, [7], [product], now=ends)
    assert owns(product, now[7]) and not owns(product, now[8])
    assert not owns(product, later[7])


# -- reminders ------------------------------------------------------------------------------


async def owed_reminders(sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        owed = (await session.exec(select(OutboxMessage))).all()
    return [m for m in owed if (m.dedupe_key or "").startswith("reminder:")]


async def test_a_timed_product_is_reminded_once_within_a_day_of_its_end(
    sessions, reminders, recorder
):
    pro = PaymentFacts(7, "stx1", 100, "XTR", SIGNER.encode("pro_month", 100), paid_at=PAID)
    await recorder.record(pro)
    [granted] = await grants_of(sessions, "stx1")
    assert granted.expires_at is not None
    ends = granted.expires_at
    early = ends - REMINDER_LEAD - timedelta(minutes=1)
    assert await reminders.queue_due(now=early) == 0
    due = ends - REMINDER_LEAD + timedelta(minutes=1)
    assert await reminders.queue_due(now=due) == 1
    assert await reminders.queue_due(now=due) == 0  # owed once
    assert await reminders.queue_due(now=ends) == 0  # too late
    [reminder] = await owed_reminders(sessions)
    assert reminder.priority == OutboxPriority.REMINDER
    assert reminder.reply_markup and '"callback_data":"buy:pro_month"' in reminder.reply_markup


async def test_a_timed_product_bought_again_is_reminded_of_its_new_end_only(
    sessions, reminders, recorder
):
    payload = SIGNER.encode("pro_month", 100)
    await recorder.record(PaymentFacts(7, "stx1", 100, "XTR", payload, paid_at=PAID))
    await recorder.record(PaymentFacts(7, "stx2", 100, "XTR", payload))
    [second] = await grants_of(sessions, "stx2")
    assert second.expires_at is not None
    first_end = second.starts_at
    assert await reminders.queue_due(now=first_end - timedelta(hours=1)) == 0
    near_end = second.expires_at - timedelta(hours=1)
    assert await reminders.queue_due(now=near_end) == 1
    [reminder] = await owed_reminders(sessions)
    assert reminder.dedupe_key == f"reminder:stx2:{int(second.expires_at.timestamp())}"


async def test_only_a_cancelled_subscription_is_reminded_and_not_once_refunded(
    sessions, writer, reminders, recorder
):
    ends = PAID + SUBSCRIPTION_PERIOD
    await recorder.record(club("stx1", first=True, ends=ends))
    due = ends - timedelta(hours=2)
    assert await reminders.queue_due(now=due) == 0  # it renews
    subscription = await stored_subscription(sessions, "stx1")
    await cancel_renewal(writer, subscription)
    assert await reminders.queue_due(now=due) == 1
    [reminder] = await owed_reminders(sessions)
    assert f'"callback_data":"sub:resume:{subscription.id}"' in (reminder.reply_markup or "")

    await recorder.record(club("stx5", first=True, ends=ends, user_id=8))
    other = await stored_subscription(sessions, "stx5")
    await cancel_renewal(writer, other)
    await writer.write(lambda session: revoke_for_charge(session, "stx5", now=utcnow()))
    assert await reminders.queue_due(now=due) == 0
