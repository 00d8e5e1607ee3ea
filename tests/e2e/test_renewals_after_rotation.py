"""A running subscription outlives a rotation of the payload secret or of the bot token: every
renewal repeats the first invoice's payload, and is matched to the subscription stored with the
first charge, not checked against today's keys."""

from __future__ import annotations

from typing import Any

import pytest

from storage import PaymentRepository
from tests.subscribing import access_ends, expiration, renew, subscribe, subscription

SECRET_A = "payload-secret-a-0123456789"
SECRET_B = "payload-secret-b-9876543210"
NEW_TOKEN = "123456:rotated-token-after-a-leak"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"payload_secret": SECRET_A}, {"payload_secret": SECRET_B}),
        ({}, {"bot_token": NEW_TOKEN}),  # no PAYLOAD_SECRET: the token's key signed
        ({"payload_secret": SECRET_A}, {"payload_secret": SECRET_A, "bot_token": NEW_TOKEN}),
    ],
    ids=["payload-secret-replaced", "token-without-payload-secret", "token-with-payload-secret"],
)
async def test_a_renewal_after_a_rotation_extends_the_subscription_it_belongs_to(
    emulator, start_bot, before: dict[str, Any], after: dict[str, Any]
):
    shop = await start_bot(**before)
    buyer = emulator.user("Ann")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    await shop.stop()
    if "bot_token" in after:
        emulator.token = after["bot_token"]  # @BotFather's /revoke: the old token stops working
    shop = await start_bot(**after)  # neither the old secret nor the old token is listed

    since = emulator.mark()
    renewed = await renew(emulator, shop, first.charge_id)
    assert renewed.charge_id
    ends = expiration(emulator, first.charge_id)
    note = await emulator.wait_for_message(buyer.id, text_contains=renewed.charge_id, since=since)
    assert "Your subscription to Club membership renewed for 75 ⭐" in note["text"]
    assert await access_ends(shop, buyer.id, "club") == ends
    async with shop.sessions() as session:
        payment = await PaymentRepository(session).get(renewed.charge_id)
    assert payment is not None and payment.product_id == "club"
    assert payment.subscription_charge_id == first.charge_id
    assert (await subscription(shop, first.charge_id)).subscription_expiration_date == ends
