"""Invoice payloads and the pre-checkout rules, as plain functions of plain values."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from bot import texts
from bot.catalog import Catalog, Product
from bot.outcomes import Refusal

STARS = "XTR"
PAYLOAD_VERSION = "v1"
MAX_PAYLOAD_BYTES = 128  # Telegram's limit for an invoice payload


@dataclass(frozen=True)
class Offer:
    """What an invoice offered: a product at a price, as the bot signed it."""

    product_id: str
    price: int
    nonce: str


class PayloadSigner:
    """Signs invoice payloads so that only invoices this bot issued are accepted.

    `secret` signs and checks; each of `old` only checks, so that invoices signed before a
    rotation stay valid for as long as the old secret is listed.
    """

    def __init__(self, secret: str, old: Iterable[str] = ()) -> None:
        self._keys = [_key(secret), *(_key(s) for s in old)]

    def encode(self, product_id: str, price: int) -> str:
        body = f"{PAYLOAD_VERSION}:{product_id}:{price}:{secrets.token_hex(4)}"
        payload = f"{body}:{_signature(self._keys[0], body)}"
        assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
        return payload

    def decode(self, payload: str) -> Offer | None:
        """The offer in `payload`, or None when this bot did not sign it."""
        body, _, signature = payload.rpartition(":")
        if not any(
            hmac.compare_digest(signature.encode(), _signature(key, body).encode())
            for key in self._keys
        ):
            return None
        version, product_id, price, nonce = [*body.split(":"), "", "", "", ""][:4]
        if version != PAYLOAD_VERSION or not price.isdigit():
            return None
        return Offer(product_id=product_id, price=int(price), nonce=nonce)


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"invoice-payload:" + secret.encode()).digest()


def _signature(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:20]


@dataclass(frozen=True)
class OfferCheck:
    """A product the buyer may pay for, or why not."""

    product: Product | None
    refusal: Refusal | None

    @property
    def error_message(self) -> str | None:
        return texts.refusal_message(self.refusal) if self.refusal else None


def check_offer(
    catalog: Catalog,
    signer: PayloadSigner,
    *,
    payload: str,
    currency: str,
    total_amount: int,
) -> OfferCheck:
    """Whether a pre-checkout for `payload` may go on, without asking the database."""
    if currency != STARS:
        return OfferCheck(None, Refusal.WRONG_CURRENCY)
    offer = signer.decode(payload)
    if offer is None:
        return OfferCheck(None, Refusal.FOREIGN_PAYLOAD)
    product = catalog.get(offer.product_id)
    if product is None:
        return OfferCheck(None, Refusal.PRODUCT_GONE)
    if offer.price != product.price:
        return OfferCheck(product, Refusal.PRICE_CHANGED)
    if total_amount != offer.price:
        return OfferCheck(product, Refusal.AMOUNT_MISMATCH)
    return OfferCheck(product, None)
