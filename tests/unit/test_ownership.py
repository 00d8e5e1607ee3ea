"""Who owns what: one rule, and look-ups that a crowd shares."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG
from bot.services.ownership import Holdings, OwnershipLookup, owns
from entitlements import grant_for_charge
from storage import create_engine, create_session_factory, upgrade_schema

CATALOG = load_catalog(DEFAULT_CATALOG)
GOLD, SUPPORTER, PRO, CLUB = (CATALOG.get(p) for p in ("gold", "supporter", "pro_month", "club"))


def holding(*keys: str, subscriptions: tuple[str, ...] = ()) -> Holdings:
    return Holdings(frozenset(keys), frozenset(subscriptions))


def test_a_one_time_product_is_owned_when_all_its_keys_are_held():
    assert GOLD and SUPPORTER and PRO
    assert owns(GOLD, holding("gold")) and owns(GOLD, holding("gold", "supporter"))
    assert not owns(SUPPORTER, holding("gold"))
    assert not owns(PRO, holding("pro"))  # timed products are bought again to extend them


def test_a_subscription_is_owned_while_one_to_it_has_not_ended_whatever_keys_are_held():
    assert CLUB
    assert owns(CLUB, holding(subscriptions=("club",)))
    assert not owns(CLUB, holding("club"))  # a goodwill grant of its key is not a subscription
    assert holding().with_product(CLUB) == holding(subscriptions=("club",))
    assert GOLD and holding().with_product(GOLD) == holding("gold")


async def test_concurrent_questions_are_answered_by_one_query(sessions, database_url):
    async with sessions() as session:
        await grant_for_charge(session, user_id=1, charge_id="c1", keys=["gold"])
        await grant_for_charge(session, user_id=2, charge_id="c2", keys=["supporter", "gold"])
        await session.commit()
    engine = create_engine(database_url, read_only=True)
    queries: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    lookup = OwnershipLookup(create_session_factory(engine))
    assert GOLD and SUPPORTER and PRO
    answers = await asyncio.gather(
        lookup.already_owns(1, GOLD),
        lookup.already_owns(1, SUPPORTER),
        lookup.already_owns(2, SUPPORTER),
        lookup.already_owns(3, GOLD),
        lookup.already_owns(1, PRO),
    )
    await engine.dispose()
    assert list(answers) == [True, False, True, False, False]
    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) == 1


@pytest.mark.empty_database
async def test_a_failed_look_up_reaches_every_waiter_and_the_next_one_is_fresh(database_url):
    engine = create_engine(database_url, read_only=True)  # no tables yet: the query fails
    lookup = OwnershipLookup(create_session_factory(engine))
    assert GOLD
    results = await asyncio.gather(
        lookup.already_owns(1, GOLD), lookup.already_owns(2, GOLD), return_exceptions=True
    )
    assert all(isinstance(r, OperationalError) for r in results)
    await upgrade_schema(database_url)
    assert await lookup.already_owns(1, GOLD) is False
    await engine.dispose()
