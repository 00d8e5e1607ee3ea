"""Who owes a removal when a key ends: only members the bot admitted, only from chats that no
key they still hold unlocks, once; and a member let in again owes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.catalog import Catalog, load_catalog
from bot.services.access import (
    RemovalReason,
    drop_removals_for_grants,
    owe_removals_after_revoke,
)
from entitlements import grant_for_charge, revoke_for_charge
from storage import AccessRemoval, utcnow
from storage.repositories.access import AccessRepository

CLUB, VIP = -1001, -1002  # the club key unlocks CLUB; the vip key CLUB and VIP


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    path = tmp_path / "catalog.toml"
    path.write_text(
        """
[[product]]
id = "club"
title = "Club"
description = "The club."
price = 5
kind = "one_time"
grants = ["club"]

[[product]]
id = "vip"
title = "VIP"
description = "The club and the VIP room."
price = 9
kind = "one_time"
grants = ["vip"]

[keys.club]
chats = [-1001]

[keys.vip]
chats = [-1001, -1002]
"""
    )
    return load_catalog(path)


async def owed(session) -> list[tuple[int, int]]:
    rows = (await session.exec(select(AccessRemoval))).all()
    return sorted((r.chat_id, r.user_id) for r in rows if r.dropped_at is None)


async def test_removal_is_owed_only_where_no_remaining_key_unlocks_and_only_to_admitted(
    sessions, catalog
):
    now = utcnow()
    async with sessions() as session:
        repository = AccessRepository(session)
        for user_id, keys in ((7, ["club", "vip"]), (8, ["vip"])):
            for key in keys:
                await grant_for_charge(
                    session, user_id=user_id, charge_id=f"{key}{user_id}", keys=[key]
                )
        for chat_id in (CLUB, VIP):
            await repository.admit(chat_id, 7, now)  # user 8 was there before the bot
        for charge in ("vip7", "vip8"):
            await revoke_for_charge(session, charge)

        for user_id in (7, 8):
            await owe_removals_after_revoke(session, catalog, user_id, RemovalReason.REFUNDED)
            await owe_removals_after_revoke(session, catalog, user_id, RemovalReason.REFUNDED)

        # 7 still holds club, which unlocks CLUB: out of VIP only, and recorded once.
        assert await owed(session) == [(VIP, 7)]


async def test_a_new_grant_or_admission_drops_the_removal_still_owed(sessions, catalog):
    now = utcnow()
    async with sessions() as session:
        repository = AccessRepository(session)
        await repository.admit(CLUB, 7, now)
        await repository.admit(VIP, 7, now)
        await owe_removals_after_revoke(session, catalog, 7, RemovalReason.REVOKED)
        assert await owed(session) == [(VIP, 7), (CLUB, 7)]  # sorted: -1002 first

        await drop_removals_for_grants(session, catalog, [(7, ["club"])], now)
        assert await owed(session) == [(VIP, 7)]
        await repository.admit(VIP, 7, now)
        assert await owed(session) == []
