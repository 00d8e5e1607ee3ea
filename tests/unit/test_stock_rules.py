"""The rules of limited stock without Telegram or a database: what is left, reservations in
memory, when admins are told, and reading a file of codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.catalog import Catalog, Product
from bot.services.codes import CodesError, product_with_codes, read_code_file
from bot.services.stock import ALERT_LOW, ALERT_NONE, ALERT_OUT, StockKeeper, alert_level, left_of
from storage.repositories import StockCount

CODES = Product.model_validate(
    {
        "id": "vpn",
        "title": "VPN",
        "description": "d",
        "price": 5,
        "kind": "consumable",
        "codes": True,
    }
)
LIMITED = Product.model_validate(
    {
        "id": "poster",
        "title": "P",
        "description": "d",
        "price": 5,
        "kind": "one_time",
        "grants": ["poster"],
        "stock": 2,
    }
)
PLAIN = Product.model_validate(
    {
        "id": "gold",
        "title": "G",
        "description": "d",
        "price": 5,
        "kind": "one_time",
        "grants": ["gold"],
    }
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keeper(clock: Clock, counts: dict[str, StockCount]) -> StockKeeper:
    nowhere: Any = None  # the rules in memory need no database
    catalog = Catalog([CODES, LIMITED, PLAIN])
    stock = StockKeeper(nowhere, nowhere, catalog, reservation_seconds=120, clock=clock)
    stock.apply(counts)
    return stock


def test_left_is_the_fewer_of_unsold_codes_and_unsold_stock():
    assert left_of(CODES, StockCount(codes_unsold=3, codes_sold=9)) == 3
    assert left_of(LIMITED, StockCount(units_sold=1)) == 1
    assert left_of(LIMITED, StockCount(units_sold=5)) == 0  # never below none
    both = CODES.model_copy(update={"stock": 4})
    assert left_of(both, StockCount(codes_unsold=10, units_sold=1)) == 3


def test_admins_are_told_at_the_low_level_and_at_none():
    assert [alert_level(left, 10) for left in (11, 10, 1, 0)] == [
        ALERT_NONE,
        ALERT_LOW,
        ALERT_LOW,
        ALERT_OUT,
    ]


async def test_reservations_hold_units_until_paid_or_expired():
    clock = Clock()
    stock = keeper(clock, {"poster": StockCount(units_sold=0)})
    assert await stock.reserve(PLAIN, 1)  # not limited: always
    assert await stock.reserve(LIMITED, 1) and await stock.reserve(LIMITED, 2)
    assert not await stock.reserve(LIMITED, 3)
    assert (stock.left("poster"), stock.reserved("poster")) == (0, 2)
    assert stock.sold_out() == {"poster", "vpn"}  # no code loaded yet either

    stock.settle("poster", 1, took=True, sold_out=False)  # paid: the hold becomes a sale
    assert (stock.left("poster"), stock.reserved("poster")) == (0, 1)
    clock.now += 121  # buyer 2 never paid
    assert (stock.left("poster"), stock.reserved("poster")) == (1, 0)
    assert await stock.reserve(LIMITED, 3)


async def test_a_count_read_before_a_sale_does_not_undo_it():
    stock = keeper(Clock(), {"vpn": StockCount(codes_unsold=2)})
    before = {"vpn": 0, "poster": 0}
    stock.settle("vpn", 1, took=True, sold_out=False)
    stock.apply({"vpn": StockCount(codes_unsold=2)}, sales_before=before)  # read before it
    assert stock.left("vpn") == 1
    stock.apply({"vpn": StockCount(codes_unsold=5)}, sales_before={"vpn": 1, "poster": 0})
    assert stock.left("vpn") == 5  # codes added: on sale


async def test_a_payment_that_found_nothing_leaves_nothing():
    stock = keeper(Clock(), {"vpn": StockCount(codes_unsold=3)})
    stock.settle("vpn", 1, took=False, sold_out=True)
    assert stock.left("vpn") == 0 and not await stock.reserve(CODES, 2)


def test_a_code_file_skips_blanks_and_repeats(tmp_path: Path):
    path = tmp_path / "codes.txt"
    path.write_text("\ufeffA\n\n  B \nA\r\nC\n", encoding="utf-8")
    loaded = read_code_file(path)
    assert (loaded.codes, loaded.repeated) == (["A", "B", "C"], 1)


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "no such file"), (b"\xff\xfe", "not valid UTF-8"), (b"x" * 300, "line 1 is longer")],
)
def test_a_code_file_that_cannot_be_loaded_says_why_without_its_codes(tmp_path, content, says):
    path = tmp_path / "codes.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CodesError, match=says) as error:
        read_code_file(path)
    assert "xxx" not in str(error.value)


def test_codes_are_loaded_only_for_a_product_that_sells_them():
    catalog = Catalog([CODES, LIMITED])
    assert product_with_codes(catalog, "vpn") is CODES
    with pytest.raises(CodesError, match="set codes = true"):
        product_with_codes(catalog, "poster")
    with pytest.raises(CodesError, match="products with codes: vpn"):
        product_with_codes(catalog, "nope")
