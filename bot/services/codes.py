"""Loading codes for sale (`python -m bot codes add`) and counting them (`codes count`).

Codes are secrets: what these functions return and raise counts them and names lines by
number, never by content.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.catalog import Catalog, Product
from bot.services.stock import left_of
from storage import create_engine, create_session_factory
from storage.db import read_only_sessions
from storage.migrate import read_schema_state
from storage.repositories import StockCount, StockRepository

# A code goes into a message with its buyer's receipt: a licence key or a voucher is far less.
MAX_CODE_LENGTH = 256


class CodesError(Exception):
    """A `codes` command that cannot go on: the message says why, in one line."""


@dataclass(frozen=True)
class CodeFile:
    codes: list[str]  # in file order, each once
    repeated: int  # lines that repeat an earlier one


@dataclass(frozen=True)
class AddReport:
    product: Product
    added: int
    skipped: int  # repeated in the file, or loaded before
    in_stock: int  # unsold codes of the product now


def product_with_codes(catalog: Catalog, product_id: str) -> Product:
    product = catalog.get(product_id)
    if product is None:
        ids = ", ".join(p.id for p in catalog if p.codes) or "none"
        raise CodesError(f"no product {product_id!r} in the catalog (products with codes: {ids})")
    if not product.codes:
        raise CodesError(f"product {product_id} does not sell codes: set codes = true for it")
    return product


def read_code_file(path: Path) -> CodeFile:
    """One code per line, stripped; blank lines skipped, repeats counted once."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CodesError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise CodesError(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise CodesError(f"{path}: cannot read it ({exc.strerror})") from None
    lines = [line.strip() for line in text.splitlines()]
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_CODE_LENGTH:
            raise CodesError(
                f"{path}: line {number} is longer than {MAX_CODE_LENGTH} characters; "
                "nothing was loaded"
            )
    codes = [line for line in lines if line]
    unique = list(dict.fromkeys(codes))
    return CodeFile(unique, len(codes) - len(unique))


async def add_codes(url: str, catalog: Catalog, product_id: str, path: Path) -> AddReport:
    """Load the codes in `path` for `product_id`, skipping those loaded before. A bot that
    runs puts them on sale within a few seconds."""
    product = product_with_codes(catalog, product_id)
    loaded = read_code_file(path)
    await _require_current_schema(url)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            stock = StockRepository(session)
            added = await stock.add_codes(product.id, loaded.codes)
            await session.commit()
            count = (await stock.counts([product.id])).get(product.id, StockCount())
    finally:
        await engine.dispose()
    skipped = loaded.repeated + len(loaded.codes) - added
    return AddReport(product, added, skipped, count.codes_unsold)


async def count_codes(url: str, catalog: Catalog, product_id: str | None) -> list[str]:
    """A line per product with codes or a stock limit (or just `product_id`): left and sold."""
    if product_id is not None and catalog.get(product_id) is None:
        raise CodesError(f"no product {product_id!r} in the catalog")
    products = [p for p in catalog if p.limited and product_id in (None, p.id)]
    if not products:
        return ["no product has codes or a stock limit"]
    await _require_current_schema(url)
    async with read_only_sessions(url) as readers, readers() as session:
        counts = await StockRepository(session).counts([p.id for p in products])
    return [_count_line(p, counts.get(p.id, StockCount())) for p in products]


def _count_line(product: Product, count: StockCount) -> str:
    sold = max(count.codes_sold, count.units_sold)
    line = f"{product.id}: {left_of(product, count)} left, {sold} sold"
    if product.codes:
        line += f" ({count.codes_unsold} code(s) unsold)"
    if product.stock is not None:
        line += f" (stock limit {product.stock})"
    return line


async def _require_current_schema(url: str) -> None:
    state = await read_schema_state(url)
    if not state.is_current:
        raise CodesError(
            f"the database schema is at {state.current or 'none'}, this release's is "
            f"{state.head}: run python -m bot migrate first"
        )
