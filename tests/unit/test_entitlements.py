"""The entitlements API on a real temporary database: a SQLite file, and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from entitlements import (
    Grant,
    grant_for_charge,
    grant_many,
    has,
    has_all,
    list_active,
    revoke_for_charge,
)
from storage import Entitlement

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DAYS_30 = timedelta(days=30)


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


async def periods(session, user_id: int) -> dict[str, tuple[datetime, datetime | None]]:
    """The unrevoked periods of `user_id`, by charge id."""
    statement = select(Entitlement).where(
        Entitlement.user_id == user_id, col(Entitlement.revoked_at).is_(None)
    )
    rows = (await session.exec(statement)).all()
    return {e.telegram_payment_charge_id: (e.starts_at, e.expires_at) for e in rows}


async def test_grant_without_expiry_is_active_forever(sessions):
    async with sessions() as session:
        await grant_for_charge(session, user_id=1, charge_id="c1", keys=["gold"], now=NOW)
        await session.commit()
    async with sessions() as session:
        assert await has(session, 1, "gold", now=NOW + timedelta(days=3650))
        assert not await has(session, 2, "gold", now=NOW)
        [active] = await list_active(session, 1, now=NOW)
    assert (active.key, active.expires_at, active.charge_ids) == ("gold", None, ("c1",))


async def test_timed_grant_expires_without_any_scheduler(sessions):
    async with sessions() as session:
        await grant_for_charge(
            session, user_id=1, charge_id="c1", keys=["pro"], duration=DAYS_30, now=NOW
        )
        await session.commit()
        assert await has(session, 1, "pro", now=NOW + DAYS_30 - timedelta(seconds=1))
        assert not await has(session, 1, "pro", now=NOW + DAYS_30)
        assert await list_active(session, 1, now=NOW + DAYS_30) == []


async def test_buying_a_timed_product_again_extends_from_the_current_end(sessions):
    async with sessions() as session:
        await grant_for_charge(
            session, user_id=1, charge_id="c1", keys=["pro"], duration=DAYS_30, now=NOW
        )
        later = NOW + timedelta(days=10)
        [second] = await grant_for_charge(
            session, user_id=1, charge_id="c2", keys=["pro"], duration=DAYS_30, now=later
        )
        await session.commit()
        assert second.starts_at == NOW + DAYS_30
        assert second.expires_at == NOW + 2 * DAYS_30
        [active] = await list_active(session, 1, now=later)
        assert active.expires_at == NOW + 2 * DAYS_30
        assert active.charge_ids == ("c1", "c2")
        assert await has(session, 1, "pro", now=NOW + DAYS_30 + timedelta(days=1))


async def test_buying_again_after_expiry_starts_from_now(sessions):
    async with sessions() as session:
        await grant_for_charge(
            session, user_id=1, charge_id="c1", keys=["pro"], duration=DAYS_30, now=NOW
        )
        much_later = NOW + timedelta(days=100)
        [renewed] = await grant_for_charge(
            session, user_id=1, charge_id="c2", keys=["pro"], duration=DAYS_30, now=much_later
        )
        assert (renewed.starts_at, renewed.expires_at) == (much_later, much_later + DAYS_30)


async def test_granting_the_same_charge_twice_changes_nothing(sessions):
    async with sessions() as session:
        first = await grant_for_charge(
            session, user_id=1, charge_id="c1", keys=["pro"], duration=DAYS_30, now=NOW
        )
        again = await grant_for_charge(
            session, user_id=1, charge_id="c1", keys=["pro"], duration=DAYS_30, now=NOW
        )
        assert again == first  # what the charge holds, not a second period
        assert again[0].expires_at == NOW + DAYS_30
        rows = (await session.exec(select(Entitlement))).all()
        assert len(rows) == 1


async def test_revoke_removes_everything_that_charge_granted_and_nothing_else(sessions):
    async with sessions() as session:
        await grant_for_charge(session, user_id=1, charge_id="c1", keys=["gold", "vip"], now=NOW)
        await grant_for_charge(session, user_id=1, charge_id="c2", keys=["silver"], now=NOW)
        assert await revoke_for_charge(session, "c1", now=NOW) == 2
        assert await revoke_for_charge(session, "c1", now=NOW) == 0
        await session.commit()
        assert not await has(session, 1, "gold", now=NOW)
        assert not await has(session, 1, "vip", now=NOW)
        assert await has(session, 1, "silver", now=NOW)
        assert await has_all(session, 1, ["silver"], now=NOW)
        assert not await has_all(session, 1, ["silver", "gold"], now=NOW)


async def test_a_key_held_by_two_charges_survives_revoking_one(sessions):
    async with sessions() as session:
        await grant_for_charge(session, user_id=1, charge_id="c1", keys=["gold"], now=NOW)
        await grant_for_charge(
            session, user_id=1, charge_id="c2", keys=["gold", "supporter"], now=NOW
        )
        await revoke_for_charge(session, "c2", now=NOW)
        assert await has(session, 1, "gold", now=NOW)
        assert not await has(session, 1, "supporter", now=NOW)


async def test_refunding_an_earlier_period_moves_the_later_one_up_to_now(sessions):
    async with sessions() as session:
        await grant_for_charge(
            session, user_id=1, charge_id="a", keys=["pro"], duration=DAYS_30, now=NOW
        )
        later = NOW + timedelta(days=10)
        await grant_for_charge(
            session, user_id=1, charge_id="b", keys=["pro"], duration=DAYS_30, now=later
        )
        assert await revoke_for_charge(session, "a", now=later) == 1
        await session.commit()
    async with sessions() as session:
        # b was paid for: it runs now, for its own 30 days, not from a's old end.
        assert await has(session, 1, "pro", now=later)
        [active] = await list_active(session, 1, now=later)
        assert (active.expires_at, active.charge_ids) == (later + DAYS_30, ("b",))
        assert not await has(session, 1, "pro", now=later + DAYS_30)


async def test_refunding_a_queued_period_moves_only_the_periods_after_it(sessions):
    async with sessions() as session:
        for charge_id in ("a", "b", "c"):
            await grant_for_charge(
                session, user_id=1, charge_id=charge_id, keys=["pro"], duration=DAYS_30, now=NOW
            )
        await grant_for_charge(
            session, user_id=2, charge_id="other", keys=["pro"], duration=DAYS_30, now=NOW
        )
        later = NOW + timedelta(days=10)
        await revoke_for_charge(session, "b", now=later)
        await session.commit()
    async with sessions() as session:
        assert await periods(session, 1) == {
            "a": (NOW, NOW + DAYS_30),
            "c": (NOW + DAYS_30, NOW + 2 * DAYS_30),
        }
        assert await periods(session, 2) == {"other": (NOW, NOW + DAYS_30)}
        assert await revoke_for_charge(session, "b", now=later) == 0  # gives nothing back twice
        assert (await periods(session, 1))["c"] == (NOW + DAYS_30, NOW + 2 * DAYS_30)


async def test_refunding_an_expired_period_moves_nothing(sessions):
    async with sessions() as session:
        await grant_for_charge(
            session, user_id=1, charge_id="a", keys=["pro"], duration=DAYS_30, now=NOW
        )
        renewed_at = NOW + timedelta(days=40)
        await grant_for_charge(
            session, user_id=1, charge_id="b", keys=["pro"], duration=DAYS_30, now=renewed_at
        )
        await revoke_for_charge(session, "a", now=renewed_at)
        await session.commit()
        [active] = await list_active(session, 1, now=renewed_at)
        assert active.expires_at == renewed_at + DAYS_30


async def test_a_period_until_a_fixed_date_runs_from_now_to_it_beside_a_queued_one(sessions):
    async with sessions() as session:
        await grant_for_charge(
            session, user_id=1, charge_id="t1", keys=["club"], duration=DAYS_30, now=NOW
        )
        ends = NOW + timedelta(days=20)
        [[fixed]] = await grant_many(session, [Grant(1, "s1", ("club",), until=ends)], now=NOW)
        await session.commit()
        assert (fixed.starts_at, fixed.expires_at) == (NOW, ends)  # not queued after t1
        [later] = await grant_for_charge(
            session, user_id=1, charge_id="t2", keys=["club"], duration=DAYS_30, now=NOW
        )
    assert later.starts_at == NOW + DAYS_30  # a timed period still queues after them all


async def test_refunding_another_period_never_moves_a_fixed_date_period(sessions):
    ends = NOW + timedelta(days=45)
    async with sessions() as session:
        await grant_for_charge(
            session, user_id=1, charge_id="t1", keys=["club"], duration=DAYS_30, now=NOW
        )
        await grant_many(session, [Grant(1, "s1", ("club",), until=ends)], now=NOW)
        await revoke_for_charge(session, "t1", now=NOW + timedelta(days=1))
        await session.commit()
        assert (await periods(session, 1))["s1"] == (NOW, ends)


async def test_refunding_a_fixed_date_period_ends_it_and_moves_what_was_queued_after_it(sessions):
    ends = NOW + timedelta(days=30)
    async with sessions() as session:
        await grant_many(session, [Grant(1, "s1", ("club",), until=ends)], now=NOW)
        await grant_for_charge(
            session, user_id=1, charge_id="t1", keys=["club"], duration=DAYS_30, now=NOW
        )
        refunded_at = NOW + timedelta(days=10)
        await revoke_for_charge(session, "s1", now=refunded_at)
        await session.commit()
        assert (await periods(session, 1))["t1"] == (refunded_at, refunded_at + DAYS_30)


async def test_a_fixed_date_already_past_gives_a_period_already_over(sessions):
    async with sessions() as session:
        past = NOW - timedelta(days=1)
        [[granted]] = await grant_many(session, [Grant(1, "s1", ("club",), until=past)], now=NOW)
        await session.commit()
        assert (granted.starts_at, granted.expires_at) == (past, past)
        assert not await has(session, 1, "club", now=NOW)
