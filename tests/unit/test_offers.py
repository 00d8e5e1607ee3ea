"""Invoice payloads and pre-checkout rules, without Telegram."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog, Product
from bot.outcomes import Refusal
from bot.services.offers import MAX_PAYLOAD_BYTES, PayloadSigner, check_offer

GOLD = Product(
    id="gold", title="Gold", description="d", price=25, kind="one_time", grants=("gold",)
)
CLUB = Product(
    id="club",
    title="Club",
    description="d",
    price=75,
    kind="subscription",
    grants=("club",),
)
CATALOG = Catalog([GOLD, CLUB])
SIGNER = PayloadSigner("123:secret")


def check(payload: str, *, currency: str = "XTR", amount: int = 25, catalog=CATALOG):
    return check_offer(catalog, SIGNER, payload=payload, currency=currency, total_amount=amount)


def test_payload_identifies_product_and_price_and_fits_telegram_limit():
    payload = SIGNER.encode("a" * 32, 100_000)
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
    offer = SIGNER.decode(payload)
    assert offer is not None and (offer.product_id, offer.price) == ("a" * 32, 100_000)


def test_each_invoice_gets_its_own_payload():
    assert SIGNER.encode("gold", 25) != SIGNER.encode("gold", 25)


# Another bot's payload is signed afresh each run (its nonce is random), so the test's id
# names it: parallel test processes must collect the same ids.
OTHER_BOTS = PayloadSigner("999:other-bot").encode("gold", 25)


@pytest.mark.parametrize(
    "payload",
    ["", "gold", "v1:gold:25:abcd:0000000000", OTHER_BOTS],
    ids=["empty", "a-word", "unsigned", "another-bots"],
)
def test_payloads_this_bot_did_not_sign_are_foreign(payload):
    assert SIGNER.decode(payload) is None
    assert check(payload).refusal is Refusal.FOREIGN_PAYLOAD


def test_old_secrets_check_but_never_sign():
    rotated = PayloadSigner("new-secret", old=["123:secret", "older"])
    from_before = SIGNER.encode("gold", 25)
    offer = rotated.decode(from_before)
    assert offer is not None and (offer.product_id, offer.price) == ("gold", 25)
    assert rotated.decode(PayloadSigner("older").encode("gold", 25)) is not None
    fresh = rotated.encode("gold", 25)
    assert PayloadSigner("new-secret").decode(fresh) is not None
    assert SIGNER.decode(fresh) is None
    assert rotated.decode(PayloadSigner("never-listed").encode("gold", 25)) is None


def test_tampered_price_breaks_the_signature():
    payload = SIGNER.encode("gold", 25)
    assert SIGNER.decode(payload.replace(":25:", ":1:")) is None


def test_valid_offer_is_accepted():
    result = check(SIGNER.encode("gold", 25))
    assert (result.refusal, result.product) == (None, GOLD)
    assert result.error_message is None


def test_other_currency_is_refused():
    assert check(SIGNER.encode("gold", 25), currency="USD").refusal is Refusal.WRONG_CURRENCY


def test_amount_other_than_the_offer_is_refused():
    assert check(SIGNER.encode("gold", 25), amount=1).refusal is Refusal.AMOUNT_MISMATCH


def test_price_changed_since_the_invoice_is_refused():
    assert check(SIGNER.encode("gold", 20), amount=20).refusal is Refusal.PRICE_CHANGED


def test_product_removed_from_the_catalog_is_refused():
    result = check(SIGNER.encode("gold", 25), catalog=Catalog([CLUB]))
    assert result.refusal is Refusal.PRODUCT_GONE
    assert "no longer sold" in (result.error_message or "")


def test_a_subscription_offer_passes_the_same_rules_as_any_other():
    assert check(SIGNER.encode("club", 75), amount=75).refusal is None
    assert check(SIGNER.encode("club", 75), amount=70).refusal is Refusal.AMOUNT_MISMATCH
