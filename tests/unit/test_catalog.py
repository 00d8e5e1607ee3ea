"""Loading the catalog: the example loads; every error names the file, product and field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.catalog import CatalogError, ProductKind, load_catalog
from bot.config import DEFAULT_CATALOG

VALID = """
[[product]]
id = "gold"
title = "Gold badge"
description = "Shiny."
price = 25
kind = "one_time"
grants = ["gold"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text)
    return path


def test_example_catalog_loads_with_every_kind():
    catalog = load_catalog(DEFAULT_CATALOG)
    kinds = {p.kind for p in catalog}
    assert kinds == set(ProductKind)


def test_valid_catalog_keeps_file_order(tmp_path):
    second = VALID.replace('"gold"', '"silver"', 1)
    catalog = load_catalog(write(tmp_path, VALID + second))
    assert [product.id for product in catalog] == ["gold", "silver"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("price = 25", "price = 0"), "product gold: price:"),
        (('id = "gold"', 'id = "Gold!"'), "product Gold!: id:"),
        (('title = "Gold badge"', f'title = "{"x" * 33}"'), "product gold: title:"),
        (('kind = "one_time"', 'kind = "lifetime"'), "product gold: kind:"),
        (('kind = "one_time"', 'kind = "timed"'), "duration_days is required"),
        (('grants = ["gold"]', "grants = []"), "product gold: grants:"),
        (('grants = ["gold"]', 'grants = ["gold", "<b>"]'), "product gold: grants.1:"),
        (('grants = ["gold"]', 'grants = ["R&D"]'), "product gold: grants.0:"),
        (('grants = ["gold"]', f'grants = ["{"k" * 33}"]'), "product gold: grants.0:"),
        (("price = 25", 'price = 25\ncolour = "red"'), "product gold: colour:"),
        (('kind = "one_time"', 'kind = "one_time"\nduration_days = 30'), "only for timed"),
        (
            ('kind = "one_time"', 'kind = "subscription"\nduration_days = 30'),
            "product gold: product: duration_days is only for timed products",
        ),
        (
            ('price = 25\nkind = "one_time"', 'price = 10001\nkind = "subscription"'),
            "product gold: product: a subscription costs at most 10000 Stars",
        ),
    ],
)
def test_bad_product_names_file_product_and_field(tmp_path, change, expected):
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_a_subscription_of_at_most_10000_stars_renews_every_30_days(tmp_path):
    text = VALID.replace('price = 25\nkind = "one_time"', 'price = 10000\nkind = "subscription"')
    [club] = load_catalog(write(tmp_path, text))
    assert club.kind is ProductKind.SUBSCRIPTION
    assert club.duration == timedelta(seconds=2592000)  # Telegram's only subscription period


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(CatalogError, match="product gold: id: duplicate id"):
        load_catalog(write(tmp_path, VALID + VALID))


def test_missing_file_and_bad_toml_are_refused(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "nope.toml")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(write(tmp_path, "[[product]\n"))
    with pytest.raises(CatalogError, match="no \\[\\[product\\]\\] tables"):
        load_catalog(write(tmp_path, "title = 'x'\n"))


def test_catalog_that_is_not_utf8_is_refused_with_the_byte(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_bytes(VALID.replace("Shiny.", "Brillant, très.").encode("latin-1"))
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: not valid UTF-8 (byte 73); save the file as UTF-8"
