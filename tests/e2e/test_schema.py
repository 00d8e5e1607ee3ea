"""The bot upgrades its database at start: a database the first release wrote keeps serving."""

from __future__ import annotations

import pytest

from tests.fixtures import restore_first_release
from tests.helpers import say, sqlite_only

# A database from before the upgrade: none starts at the schema.
pytestmark = pytest.mark.empty_database

GOLD_BUYER = 7001
GOLD_CHARGE = "stx7fuxc_MNQuxGazkMxevQ0-ACSB9wh-sXMOd0ZG3ERxZzN3eiIjLqKi4Qsry2-GGi"


@sqlite_only  # the first release's database is a SQLite file
async def test_a_buyer_keeps_what_they_bought_before_the_upgrade(emulator, start_bot, db_path):
    restore_first_release(db_path)
    await start_bot()
    buyer = emulator.user("Gold buyer", id=GOLD_BUYER)
    mine = await say(emulator, buyer, "/mypurchases")
    assert "gold, forever" in mine["text"] and GOLD_CHARGE in mine["text"]
    again = await say(emulator, buyer, "/buy gold")
    assert again["text"].startswith("You already own Gold badge")
