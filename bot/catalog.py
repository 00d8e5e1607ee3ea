"""The product catalog: a TOML file of `[[product]]` tables, validated at start."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# Product ids and entitlement keys: they appear in commands, payloads and messages as they are.
NAME_PATTERN = r"^[a-z0-9_]{1,32}$"
# Telegram's Stars subscriptions: the one period it allows (2592000 s), and the highest price.
SUBSCRIPTION_PERIOD = timedelta(days=30)
SUBSCRIPTION_MAX_PRICE = 10_000


class ProductKind(StrEnum):
    ONE_TIME = "one_time"
    TIMED = "timed"
    SUBSCRIPTION = "subscription"


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=NAME_PATTERN)
    # Telegram's sendInvoice limits: title 1-32, description 1-255 characters.
    title: str = Field(min_length=1, max_length=32)
    description: str = Field(min_length=1, max_length=255)
    price: int = Field(ge=1, le=100_000)
    kind: ProductKind
    duration_days: int | None = Field(default=None, ge=1, le=3650)
    grants: tuple[Annotated[str, Field(pattern=NAME_PATTERN)], ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Product:
        if self.kind is ProductKind.TIMED and self.duration_days is None:
            raise ValueError("duration_days is required for a timed product")
        if self.kind is not ProductKind.TIMED and self.duration_days is not None:
            raise ValueError("duration_days is only for timed products")
        if self.kind is ProductKind.SUBSCRIPTION and self.price > SUBSCRIPTION_MAX_PRICE:
            raise ValueError(f"a subscription costs at most {SUBSCRIPTION_MAX_PRICE} Stars")
        return self

    @property
    def duration(self) -> timedelta | None:
        """How long one payment gives access: None (forever) for a one-time product; a
        subscription's payment runs to the date Telegram gives, which is one period on."""
        if self.kind is ProductKind.SUBSCRIPTION:
            return SUBSCRIPTION_PERIOD
        return timedelta(days=self.duration_days) if self.duration_days else None


class CatalogError(Exception):
    """A catalog that cannot be used; the message names the file, the product and the field."""


class Catalog:
    """Products in file order, looked up by id."""

    def __init__(self, products: list[Product]) -> None:
        self._products = {product.id: product for product in products}

    def __iter__(self) -> Iterator[Product]:
        return iter(self._products.values())

    def __len__(self) -> int:
        return len(self._products)

    def get(self, product_id: str) -> Product | None:
        return self._products.get(product_id)


def load_catalog(path: Path) -> Catalog:
    """Read and validate the catalog at `path`, or raise CatalogError saying what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the catalog ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"{path}: not valid UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML ({exc})") from None
    raw_products = data.get("product")
    if not isinstance(raw_products, list) or not raw_products:
        raise CatalogError(f"{path}: no [[product]] tables")
    products: list[Product] = []
    for index, raw in enumerate(raw_products, start=1):
        name = raw.get("id", f"#{index}") if isinstance(raw, dict) else f"#{index}"
        try:
            product = Product.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "product"
            message = error["msg"].removeprefix("Value error, ")
            raise CatalogError(f"{path}: product {name!s}: {field}: {message}") from None
        if any(p.id == product.id for p in products):
            raise CatalogError(f"{path}: product {product.id}: id: duplicate id")
        products.append(product)
    return Catalog(products)
