"""The product catalog: a TOML file of `[[product]]` tables, and `[keys.NAME]` tables saying
what holding a key unlocks, validated at start."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.i18n import current_language
from bot.locales import SOURCE_LANGUAGE, offered_languages

# Product ids and entitlement keys: they appear in commands, payloads and messages as they are.
NAME_PATTERN = r"^[a-z0-9_]{1,32}$"
# Telegram's Stars subscriptions: the one period it allows (2592000 s), and the highest price.
SUBSCRIPTION_PERIOD = timedelta(days=30)
SUBSCRIPTION_MAX_PRICE = 10_000
# sendDocument's limit for a file a bot uploads.
MAX_FILE_BYTES = 50 * 1024 * 1024
# A message's text, as Telegram counts it (UTF-16 units, checked again when it is sent).
MAX_KEY_TEXT = 4096

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
# The tables a catalog holds; the fields of each are those of Product and KeyContent.
TABLES = ["product", "keys"]


class ProductKind(StrEnum):
    ONE_TIME = "one_time"
    TIMED = "timed"
    SUBSCRIPTION = "subscription"
    CONSUMABLE = "consumable"  # bought again and again; its grants, if any, are forever


# Only these kinds hand out a code per sale, and only subscriptions have no stock.
KINDS_WITH_CODES = frozenset({ProductKind.ONE_TIME, ProductKind.CONSUMABLE})


class KeyContent(BaseModel):
    """What holding one key unlocks: membership of private chats, and files and a text sent
    when the key is granted (`files` are absolute once the catalog is loaded)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    chats: tuple[StrictInt, ...] = ()
    files: tuple[Path, ...] = ()
    text: str | None = Field(default=None, min_length=1, max_length=MAX_KEY_TEXT)

    @field_validator("chats")
    @classmethod
    def _groups_or_channels(cls, chats: tuple[int, ...]) -> tuple[int, ...]:
        for chat_id in chats:
            if chat_id >= 0:
                raise ValueError(
                    f"{chat_id} is not a group or channel id (those are negative, such as "
                    "-1001234567890; add the bot to the chat as an administrator: it messages "
                    "the admins the chat's id; in a group, /id works too)"
                )
        return tuple(dict.fromkeys(chats))

    @property
    def delivers(self) -> bool:
        """Whether granting the key sends the buyer something."""
        return bool(self.files or self.text)


# A text the buyer reads, by language, the catalog's default language first: written as one
# string (the default language's) or as a table, `title = { en = "Gold badge", ru = "..." }`.
Localized = tuple[tuple[str, str], ...]
# Telegram's sendInvoice limits: title 1-32, description 1-255 characters.
TEXT_LENGTHS = {"titles": 32, "descriptions": 255}


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=NAME_PATTERN)
    titles: Localized = Field(alias="title")
    descriptions: Localized = Field(alias="description")
    # Counts are TOML integers only: "40", 40.0 or true is a mistake to name, not to convert.
    price: StrictInt = Field(ge=1, le=100_000)
    kind: ProductKind
    duration_days: StrictInt | None = Field(default=None, ge=1, le=3650)
    grants: tuple[Name, ...] = ()
    codes: StrictBool = False  # each sale hands out one code from this product's stock of codes
    stock: StrictInt | None = Field(default=None, ge=1, le=10_000_000)  # at most this many sold

    @field_validator("titles", "descriptions", mode="before")
    @classmethod
    def _by_language(cls, value: object, info: ValidationInfo) -> object:
        default = (info.context or {}).get("default_language", SOURCE_LANGUAGE)
        if isinstance(value, str):
            value = {default: value}
        if isinstance(value, tuple):
            value = dict(value)
        if not isinstance(value, dict) or not all(isinstance(t, str) for t in value.values()):
            raise ValueError('write a text, or one per language: { en = "...", ru = "..." }')
        offered = offered_languages()
        for language in value:
            if language not in offered:
                raise ValueError(
                    f'"{language}" is not a language the bot speaks ({", ".join(offered)})'
                )
        if default not in value:
            raise ValueError(f'give the default language\'s text too ({default} = "...")')
        limit = TEXT_LENGTHS[info.field_name or ""]
        for language, text in value.items():
            if not 1 <= len(text) <= limit:
                raise ValueError(f"{language}: write 1-{limit} characters (not {len(text)})")
        return ((default, value[default]), *((k, v) for k, v in value.items() if k != default))

    @field_validator("grants")
    @classmethod
    def _grants_something(cls, grants: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not grants and info.data.get("kind") is not ProductKind.CONSUMABLE:
            raise ValueError("at least one key is needed (only a consumable may grant none)")
        return grants

    @field_validator("codes")
    @classmethod
    def _codes_fit_the_kind(cls, codes: bool, info: ValidationInfo) -> bool:
        kind = info.data.get("kind")
        if codes and kind is not None and kind not in KINDS_WITH_CODES:
            raise ValueError(f"only one_time and consumable products hand out codes, not {kind}")
        return codes

    @field_validator("stock")
    @classmethod
    def _stock_fits_the_kind(cls, stock: int | None, info: ValidationInfo) -> int | None:
        if stock is not None and info.data.get("kind") is ProductKind.SUBSCRIPTION:
            raise ValueError("a subscription has no stock: Telegram renews it every month")
        return stock

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
    def title(self) -> str:
        """In the current language (`bot.i18n`), or the catalog's default one."""
        return in_language(self.titles)

    @property
    def description(self) -> str:
        return in_language(self.descriptions)

    @property
    def duration(self) -> timedelta | None:
        """How long one payment gives access: None (forever) for a one-time product or a
        consumable; a subscription's payment runs to the date Telegram gives, which is one
        period on."""
        if self.kind is ProductKind.SUBSCRIPTION:
            return SUBSCRIPTION_PERIOD
        return timedelta(days=self.duration_days) if self.duration_days else None

    @property
    def limited(self) -> bool:
        """Whether a sale takes a unit that can run out: a code, or one of `stock`."""
        return self.codes or self.stock is not None


def in_language(texts: Localized) -> str:
    """The text in the current language, or in the default one (the first)."""
    language = current_language()
    return next((text for lang, text in texts if lang == language), texts[0][1])


PRODUCT_FIELDS = [field.alias or name for name, field in Product.model_fields.items()]
KEY_FIELDS = [field for field in KeyContent.model_fields if field != "name"]  # the table's name


class CatalogError(Exception):
    """A catalog that cannot be used; the message names the file, the product and the field."""


class Catalog:
    """Products in file order, looked up by id, and what each key unlocks."""

    def __init__(
        self, products: list[Product], keys: Mapping[str, KeyContent] | None = None
    ) -> None:
        self._products = {product.id: product for product in products}
        self.keys: dict[str, KeyContent] = dict(keys or {})
        self._chat_keys: dict[int, set[str]] = {}
        for content in self.keys.values():
            for chat_id in content.chats:
                self._chat_keys.setdefault(chat_id, set()).add(content.name)

    def __iter__(self) -> Iterator[Product]:
        return iter(self._products.values())

    def __len__(self) -> int:
        return len(self._products)

    def get(self, product_id: str) -> Product | None:
        return self._products.get(product_id)

    def unlocks(self, key: str) -> KeyContent | None:
        """What holding `key` unlocks; None for a key that only stands for itself."""
        return self.keys.get(key)

    @property
    def chats(self) -> frozenset[int]:
        """Every private chat some key unlocks: the chats the bot manages."""
        return frozenset(self._chat_keys)

    def keys_for_chat(self, chat_id: int) -> frozenset[str]:
        """The keys any one of which lets a member into `chat_id`."""
        return frozenset(self._chat_keys.get(chat_id, ()))

    def chats_of_key(self, key: str) -> tuple[int, ...]:
        """The private chats holding `key` makes one a member of."""
        return self._content(key).chats

    def chats_of_keys(self, keys: Iterable[str]) -> tuple[int, ...]:
        """The private chats any of `keys` unlocks, each once, in catalog order."""
        return tuple(dict.fromkeys(chat for key in keys for chat in self.chats_of_key(key)))

    def chats_of(self, product: Product) -> tuple[int, ...]:
        """The private chats that `product`'s keys unlock, in catalog order."""
        return self.chats_of_keys(product.grants)

    def products_for_chat(self, chat_id: int) -> list[Product]:
        """The products that grant a key unlocking `chat_id`: what a stranger could buy."""
        keys = self.keys_for_chat(chat_id)
        return [p for p in self if keys & set(p.grants)]

    def _content(self, key: str) -> KeyContent:
        return self.keys.get(key) or KeyContent(name=key)


def load_catalog(path: Path, default_language: str = SOURCE_LANGUAGE) -> Catalog:
    """Read and validate the catalog at `path`, or raise CatalogError saying what is wrong. A
    product's text given in one string is in `default_language` (DEFAULT_LANGUAGE)."""
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
    unknown = _unknown(data, TABLES, "table", "a catalog has [[product]] and [keys.NAME]")
    if unknown:
        raise CatalogError(f"{path}: {unknown}")
    products = _products(path, data.get("product"), default_language)
    keys = _keys(path, data.get("keys", {}))
    granted = {key for product in products for key in product.grants}
    for name in keys:
        if name not in granted:
            raise CatalogError(f"{path}: key {name}: no product grants this key")
    return Catalog(products, keys)


def _products(path: Path, raw_products: object, default_language: str) -> list[Product]:
    if not isinstance(raw_products, list) or not raw_products:
        raise CatalogError(f"{path}: no [[product]] tables")
    products: list[Product] = []
    for index, raw in enumerate(raw_products, start=1):
        name = raw.get("id", f"#{index}") if isinstance(raw, dict) else f"#{index}"
        if isinstance(raw, dict) and (unknown := _unknown(raw, PRODUCT_FIELDS, "field")):
            raise CatalogError(f"{path}: product {name!s}: {unknown}")
        try:
            product = Product.model_validate(raw, context={"default_language": default_language})
        except ValidationError as exc:
            raise CatalogError(f"{path}: product {name!s}: {_first_error(exc)}") from None
        if any(p.id == product.id for p in products):
            raise CatalogError(f"{path}: product {product.id}: id: duplicate id")
        products.append(product)
    return products


def _keys(path: Path, raw_keys: object) -> dict[str, KeyContent]:
    if not isinstance(raw_keys, dict):
        raise CatalogError(f"{path}: keys: write each key as its own table, [keys.NAME]")
    keys: dict[str, KeyContent] = {}
    for name, raw in raw_keys.items():
        if not isinstance(raw, dict):
            raise CatalogError(f"{path}: key {name}: write it as a table, [keys.{name}]")
        if not re.fullmatch(NAME_PATTERN, name):
            raise CatalogError(f"{path}: key {name}: name: use 1-32 of a-z, 0-9 and _")
        if unknown := _unknown(raw, KEY_FIELDS, "field"):
            raise CatalogError(f"{path}: key {name}: {unknown}")
        try:
            content = KeyContent.model_validate({**raw, "name": name})
        except ValidationError as exc:
            raise CatalogError(f"{path}: key {name}: {_first_error(exc)}") from None
        files = tuple(_checked_file(path, name, n, file) for n, file in enumerate(content.files))
        keys[name] = content.model_copy(update={"files": files})
    return keys


def _checked_file(path: Path, key: str, index: int, file: Path) -> Path:
    """`file`, relative to the catalog's folder, once it is a readable file of at most
    MAX_FILE_BYTES."""
    where = f"{path}: key {key}: files.{index}: {file}"
    resolved = (path.parent / file).resolve()
    try:
        size = resolved.stat().st_size
    except OSError:
        raise CatalogError(f"{where}: no such file (paths are relative to the catalog)") from None
    if not resolved.is_file():
        raise CatalogError(f"{where}: not a file")
    if size == 0:
        raise CatalogError(f"{where}: the file is empty; Telegram refuses empty files")
    if size > MAX_FILE_BYTES:
        raise CatalogError(
            f"{where}: {size / 1024 / 1024:.1f} MB; a bot may send files of at most 50 MB"
        )
    return resolved


def _unknown(raw: Mapping[str, object], known: list[str], what: str, otherwise: str = "") -> str:
    """`unknown field "prise" (did you mean "price"?)` for the first name in `raw` that is not
    `known`, "" when there is none. Checked before the model's own errors: a misspelt field
    would otherwise show as the real one missing, and never be named."""
    for name in raw:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f'did you mean "{close[0]}"?' if close else otherwise
            return f'unknown {what} "{name}"' + (f" ({hint})" if hint else "")
    return ""


def _first_error(exc: ValidationError) -> str:
    error: Any = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "product"
    if error["type"] == "int_type":
        got = json.dumps(error["input"], ensure_ascii=False, default=str)
        return f"{field}: write a whole number, without quotes or a decimal point (not {got})"
    message = error["msg"].removeprefix("Value error, ")
    return f"{field}: {message}"
