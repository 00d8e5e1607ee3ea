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
        (("price = 25", 'price = 25\nflavour = "red"'), 'product gold: unknown field "flavour"'),
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
        load_catalog(write(tmp_path, "# nothing for sale yet\n"))


def test_catalog_that_is_not_utf8_is_refused_with_the_byte(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_bytes(VALID.replace("Shiny.", "Brillant, très.").encode("latin-1"))
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: not valid UTF-8 (byte 73); save the file as UTF-8"


KEYS = """
[keys.gold]
chats = [-1001234567890, -1009876543210]
files = ["content/guide.pdf"]
text = "Thank you!"
"""


def with_guide(tmp_path: Path, size: int = 10) -> None:
    (tmp_path / "content").mkdir(exist_ok=True)
    (tmp_path / "content" / "guide.pdf").write_bytes(b"%" * size)


def test_keys_say_what_they_unlock_with_files_relative_to_the_catalog(tmp_path):
    with_guide(tmp_path)
    catalog = load_catalog(write(tmp_path, VALID + KEYS))
    gold = catalog.unlocks("gold")
    assert gold is not None and gold.delivers
    assert gold.files == ((tmp_path / "content" / "guide.pdf").resolve(),)
    assert gold.text == "Thank you!"
    product = catalog.get("gold")
    assert product is not None
    assert catalog.chats_of(product) == (-1001234567890, -1009876543210)
    assert catalog.chats == {-1001234567890, -1009876543210}
    assert catalog.keys_for_chat(-1001234567890) == {"gold"}
    assert catalog.products_for_chat(-1009876543210) == [product]
    assert catalog.unlocks("silver") is None


def test_a_consumable_may_grant_nothing_and_sells_codes_or_stock(tmp_path):
    consumable = VALID.replace(
        'kind = "one_time"', 'kind = "consumable"\ncodes = true\nstock = 5'
    ).replace('grants = ["gold"]\n', "")
    [product] = load_catalog(write(tmp_path, consumable))
    assert product.kind is ProductKind.CONSUMABLE
    assert product.grants == () and product.duration is None
    assert product.codes and product.stock == 5 and product.limited


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (KEYS.replace("-1001234567890,", '"my group",'), "chats.0: write a whole number"),
        (KEYS.replace("-1001234567890,", "1001234567890,"), "key gold: chats: 1001234567890 is"),
        (KEYS.replace("guide.pdf", "missing.pdf"), "key gold: files.0: content/missing.pdf: no"),
        (KEYS.replace('"content/guide.pdf"', '"content"'), "files.0: content: not a file"),
        (KEYS.replace("text =", "colour = 1\ntext ="), 'key gold: unknown field "colour"'),
        (
            KEYS.replace("chats =", "chat ="),
            'key gold: unknown field "chat" (did you mean "chats"?)',
        ),
        (KEYS.replace("text =", "name = 'x'\ntext ="), 'key gold: unknown field "name"'),
        (KEYS.replace('text = "Thank you!"', 'text = ""'), "key gold: text: String should"),
        (KEYS.replace("[keys.gold]", "[keys.Gold]"), "key Gold: name: use 1-32"),
        (KEYS.replace("[keys.gold]", "[keys.silver]"), "key silver: no product grants"),
        (KEYS.replace("[keys.gold]", "[extra]"), 'unknown table "extra" (a catalog has [[product'),
        (KEYS.replace("[keys.gold]", "[key.gold]"), 'unknown table "key" (did you mean "keys"?)'),
    ],
)
def test_bad_keys_name_file_key_and_field(tmp_path, text, expected):
    with_guide(tmp_path)
    path = write(tmp_path, VALID + text)
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert str(error.value).startswith(f"{path}: ")
    assert expected in str(error.value)


def test_a_file_over_50_mb_is_refused_and_one_of_50_mb_is_not(tmp_path):
    path = write(tmp_path, VALID + KEYS)
    with_guide(tmp_path, size=0)
    with open(tmp_path / "content" / "guide.pdf", "wb") as sparse:
        sparse.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written
    assert load_catalog(path).unlocks("gold") is not None
    with open(tmp_path / "content" / "guide.pdf", "ab") as sparse:
        sparse.truncate(50 * 1024 * 1024 + 1)
    with pytest.raises(CatalogError, match=r"files\.0: content/guide\.pdf: 50\.0 MB; a bot"):
        load_catalog(path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('grants = ["gold"]', "grants = []"), "grants: at least one key is needed"),
        (
            ('kind = "one_time"', 'kind = "timed"\nduration_days = 3\ncodes = true'),
            "codes: only one_time and consumable products hand out codes, not timed",
        ),
        (('kind = "one_time"', 'kind = "subscription"\nstock = 3'), "stock: a subscription has"),
        (
            ('kind = "one_time"', 'kind = "consumable"\nduration_days = 3'),
            "product: duration_days is only for timed",
        ),
        (('kind = "one_time"', 'kind = "one_time"\nstock = 0'), "stock: Input should be"),
        (('kind = "one_time"', 'kind = "one_time"\ncodes = "yes"'), "codes: Input should be"),
    ],
)
def test_codes_and_stock_only_on_kinds_that_carry_them(tmp_path, change, expected):
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert f"product gold: {expected}" in str(error.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("price = 25", "prise = 25"), 'unknown field "prise" (did you mean "price"?)'),
        (("kind =", "knid ="), 'unknown field "knid" (did you mean "kind"?)'),
        (("grants =", "grant ="), 'unknown field "grant" (did you mean "grants"?)'),
        (("price = 25", 'price = 25\ncolour = "red"'), 'unknown field "colour"'),
    ],
)
def test_an_unknown_field_is_named_with_the_closest_known_one(tmp_path, change, expected):
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    # The misspelt field, not the real one it leaves missing ("price: Field required").
    assert str(error.value) == f"{path}: product gold: {expected}"


def test_an_unknown_field_like_nothing_known_gets_no_guess(tmp_path):
    path = write(tmp_path, VALID.replace("price = 25", "price = 25\nwarehouse = 3"))
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert str(error.value) == f'{path}: product gold: unknown field "warehouse"'


def test_a_misspelt_top_level_table_is_named_before_the_products_it_hides(tmp_path):
    path = write(tmp_path, VALID.replace("[[product]]", "[[products]]"))
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert str(error.value) == f'{path}: unknown table "products" (did you mean "product"?)'


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("price = 25", 'price = "40"'),
            'price: write a whole number, without quotes or a decimal point (not "40")',
        ),
        (
            ("price = 25", "price = true"),
            "price: write a whole number, without quotes or a decimal point (not true)",
        ),
        (
            ("price = 25", "price = 40.0"),
            "price: write a whole number, without quotes or a decimal point (not 40.0)",
        ),
        (
            ('kind = "one_time"', 'kind = "timed"\nduration_days = "30"'),
            'duration_days: write a whole number, without quotes or a decimal point (not "30")',
        ),
        (
            ('kind = "one_time"', 'kind = "one_time"\nstock = 5.0'),
            "stock: write a whole number, without quotes or a decimal point (not 5.0)",
        ),
    ],
)
def test_counts_are_toml_integers_only(tmp_path, change, expected):
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(CatalogError) as error:
        load_catalog(path)
    assert str(error.value) == f"{path}: product gold: {expected}"
