"""Goodwill grants: access without a payment, recorded with the admin, ended by /revoke only,
never a payment; and the `users` table behind `/user @username`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG
from bot.outcomes import GrantStatus
from bot.services.buyers import Buyers, UserDirectory, parse_user_ref
from bot.services.goodwill import (
    GRANT_KIND,
    REVOKE_KIND,
    Goodwill,
    GrantCommand,
    parse_grant_args,
    parse_revoke_args,
)
from entitlements import grant_for_charge, has, list_active
from storage import AuditRepository, PaymentRepository, utcnow
from storage.models import KnownUser
from storage.repositories import UserRepository
from tests.helpers import eventually

CATALOG = load_catalog(DEFAULT_CATALOG)
ADMIN = 900_001


def product(product_id: str):
    found = CATALOG.get(product_id)
    assert found is not None
    return found


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


async def test_a_grant_gives_access_and_is_recorded_with_the_admin_but_is_no_payment(
    sessions, writer, languages
):
    result = await Goodwill(writer, languages=languages).grant(
        product("supporter"), 7, None, admin_id=ADMIN, command="900001:1"
    )

    assert result.status is GrantStatus.GRANTED
    assert [(k.key, k.expires_at) for k in result.granted] == [("supporter", None), ("gold", None)]
    async with sessions() as session:
        [event] = await AuditRepository(session).list(GRANT_KIND)
        assert result.charge_id == "grant:900001:1" == event.telegram_payment_charge_id
        assert (event.user_id, event.decision, event.reason) == (7, "granted", f"by admin {ADMIN}")
        assert await has(session, 7, "gold") and await has(session, 7, "supporter")
        assert await PaymentRepository(session).count() == 0


async def test_a_grant_runs_for_the_days_given_or_a_timed_products_own_term(
    sessions, writer, languages
):
    before = utcnow()
    own = await Goodwill(writer, languages=languages).grant(
        product("pro_month"), 7, None, admin_id=ADMIN, command="900001:2"
    )
    week = await Goodwill(writer, languages=languages).grant(
        product("gold"), 8, 7, admin_id=ADMIN, command="900001:3"
    )

    [pro] = own.granted
    assert pro.expires_at is not None and pro.expires_at - pro.starts_at == timedelta(days=30)
    [gold] = week.granted
    assert gold.expires_at is not None and gold.expires_at - before >= timedelta(days=7)


async def test_a_subscription_needs_a_number_of_days_and_nothing_is_written(
    sessions, writer, languages
):
    result = await Goodwill(writer, languages=languages).grant(
        product("club"), 7, None, admin_id=ADMIN, command="900001:4"
    )

    assert result.status is GrantStatus.NEEDS_DAYS
    async with sessions() as session:
        assert await AuditRepository(session).list() == []


async def test_revoke_ends_goodwill_grants_of_that_product_only_and_names_the_payments(
    sessions, writer, languages
):
    async with sessions() as session:  # gold bought, and given on top
        await grant_for_charge(session, user_id=7, charge_id="stx-paid", keys=["gold"])
        await session.commit()
    gold = await Goodwill(writer, languages=languages).grant(
        product("gold"), 7, None, admin_id=ADMIN, command="900001:5"
    )
    supporter = await Goodwill(writer, languages=languages).grant(
        product("supporter"), 7, None, admin_id=ADMIN, command="900001:6"
    )

    result = await Goodwill(writer, languages=languages).revoke(
        product("gold"), 7, admin_id=ADMIN + 1, command="900001:7"
    )

    assert result.revoked == (gold.charge_id,) and result.paid == ("stx-paid",)
    async with sessions() as session:
        held = {a.key: a.charge_ids for a in await list_active(session, 7)}
        [event] = await AuditRepository(session).list(REVOKE_KIND)
    assert held["gold"] == ("stx-paid", supporter.charge_id)  # the supporter grant stays
    assert event.reason == f"by admin {ADMIN + 1}" and f'"{gold.charge_id}"' in event.raw

    again = await Goodwill(writer, languages=languages).revoke(
        product("gold"), 7, admin_id=ADMIN, command="900001:8"
    )
    assert again.revoked == ()
    async with sessions() as session:
        assert len(await AuditRepository(session).list(REVOKE_KIND)) == 1


async def test_a_grant_asked_again_by_the_same_command_gives_its_days_once(
    sessions, writer, languages
):
    goodwill = Goodwill(writer, languages=languages)
    first = await goodwill.grant(product("pro_month"), 7, None, admin_id=ADMIN, command="1:5")
    again = await goodwill.grant(product("pro_month"), 7, None, admin_id=ADMIN, command="1:5")
    other = await goodwill.grant(product("pro_month"), 7, None, admin_id=ADMIN, command="1:6")

    assert again == first and other.charge_id != first.charge_id
    async with sessions() as session:
        assert len(await AuditRepository(session).list(GRANT_KIND)) == 2
        [pro] = await list_active(session, 7)
    assert pro.expires_at is not None
    assert pro.expires_at - first.granted[0].starts_at == timedelta(days=60)  # two commands


async def test_a_revoke_asked_again_by_the_same_command_spares_a_grant_made_since(
    sessions, writer, languages
):
    goodwill = Goodwill(writer, languages=languages)
    before = await goodwill.grant(product("gold"), 7, None, admin_id=ADMIN, command="1:1")
    first = await goodwill.revoke(product("gold"), 7, admin_id=ADMIN, command="1:2")
    since = await goodwill.grant(product("gold"), 7, None, admin_id=ADMIN + 1, command="2:1")

    again = await goodwill.revoke(product("gold"), 7, admin_id=ADMIN, command="1:2")

    assert first.revoked == again.revoked == (before.charge_id,)
    async with sessions() as session:
        assert await has(session, 7, "gold")
        [gold] = await list_active(session, 7)
        assert gold.charge_ids == (since.charge_id,)
        assert len(await AuditRepository(session).list(REVOKE_KIND)) == 1


async def test_the_buyer_report_lists_grants_and_revocations(sessions, writer, languages):
    grant = await Goodwill(writer, languages=languages).grant(
        product("gold"), 7, 3, admin_id=ADMIN, command="900001:9"
    )
    await Goodwill(writer, languages=languages).revoke(
        product("gold"), 7, admin_id=ADMIN, command="900001:10"
    )

    report = await Buyers(sessions).report(7)

    granted, revoked = report.goodwill
    assert (granted.granted, granted.days, granted.admin_id) == (True, 3, ADMIN)
    assert revoked.granted is False and revoked.charge_ids == (grant.charge_id,)
    assert report.active == () and report.totals.payments == 0


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        ("7 gold", GrantCommand(7, "gold")),
        ("7 gold 30", GrantCommand(7, "gold", 30)),
        ("7 gold 0", None),
        ("7 gold 3651", None),
        ("7 gold soon", None),
        ("@ann gold", None),
        ("7", None),
        (None, None),
    ],
)
def test_grant_arguments(args, parsed):
    assert parse_grant_args(args) == parsed


@pytest.mark.parametrize(
    ("args", "parsed"), [("7 gold", GrantCommand(7, "gold")), ("7 gold 3", None), ("x y", None)]
)
def test_revoke_arguments(args, parsed):
    assert parse_revoke_args(args) == parsed


@pytest.mark.parametrize(
    ("args", "ref"),
    [
        ("123", 123),
        ("@Ann_Buys", "Ann_Buys"),
        ("ann_buys", "ann_buys"),
        ("@", None),
        ("a b", None),
    ],
)
def test_a_user_is_named_by_id_or_username(args, ref):
    assert parse_user_ref(args) == ref


async def stored_users(sessions) -> dict[int, tuple[str | None, str]]:
    async with sessions() as session:
        rows = (await session.exec(select(KnownUser))).all()
    return {row.user_id: (row.username, row.full_name) for row in rows}


async def test_users_are_stored_once_and_again_when_their_name_changes(sessions, writer, commits):
    directory = UserDirectory(writer)
    directory.saw(7, "Ann_Buys", "Ann", "en")
    await eventually(lambda: stored(sessions, {7: ("ann_buys", "Ann")}))
    before = commits.count

    directory.saw(7, "Ann_Buys", "Ann", "en")
    directory.saw(8, None, "Bob", "en")
    await eventually(lambda: stored(sessions, {7: ("ann_buys", "Ann"), 8: (None, "Bob")}))
    assert commits.count == before + 1  # Ann again cost nothing

    directory.saw(7, "ann_sells", "Ann S.", "en")
    await eventually(lambda: stored(sessions, {7: ("ann_sells", "Ann S."), 8: (None, "Bob")}))


async def stored(sessions, expected) -> bool:
    return await stored_users(sessions) == expected


async def test_a_username_finds_whoever_had_it_last_in_any_case(sessions, writer):
    directory = UserDirectory(writer)
    directory.saw(7, "shared_name", "Ann", "en")
    await eventually(lambda: found(sessions, "shared_name", 7))
    directory.saw(8, "Shared_Name", "Bob", "en")  # Ann gave it up, Bob took it

    await eventually(lambda: found(sessions, "@SHARED_name", 8))
    assert await found(sessions, "nobody_here", None)


async def found(sessions, username: str, user_id: int | None) -> bool:
    async with sessions() as session:
        user = await UserRepository(session).find_by_username(username)
    return (user.user_id if user else None) == user_id
