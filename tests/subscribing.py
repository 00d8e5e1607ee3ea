"""Steps of a Stars subscription, for the tests that buy, renew and check one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from emulator import BotAPIEmulator, CheckoutResult, User
from entitlements import has, list_active
from storage import Subscription, SubscriptionRepository
from tests.helpers import RunningBot, say, wait_handled


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


async def offer_link(emu: BotAPIEmulator, user: User, product_id: str = "club") -> str:
    """/buy a subscription: the bot answers with the invoice link as a URL button."""
    offer = await say(emu, user, f"/buy {product_id}")
    [button] = buttons(offer)
    return str(button["url"])


async def subscribe(emu: BotAPIEmulator, user: User, product_id: str = "club") -> CheckoutResult:
    link = await offer_link(emu, user, product_id)
    since = emu.mark()
    paid = await emu.pay_link(user, link)
    assert paid.ok and paid.charge_id, paid.error_message
    await emu.wait_for_message(user.id, text_contains="Thank you", since=since)
    return paid


async def renew(emu: BotAPIEmulator, shop: RunningBot, charge_id: str) -> CheckoutResult:
    """Telegram renews the subscription; returns once the bot has handled the renewal and sent
    its confirmation (so that it is not taken for the answer to what the test says next)."""
    since = emu.mark()
    renewed = emu.renew(charge_id)
    assert renewed.successful_payment_update_id is not None and renewed.charge_id
    await wait_handled(shop, renewed.successful_payment_update_id)
    buyer = emu.charges[renewed.charge_id].user_id
    await emu.wait_for_message(buyer, text_contains=renewed.charge_id, since=since)
    return renewed


def expiration(emu: BotAPIEmulator, first_charge_id: str) -> datetime:
    """When Telegram renews the subscription next."""
    return datetime.fromtimestamp(emu.subscriptions[first_charge_id].expiration_date, UTC)


async def subscription(shop: RunningBot, first_charge_id: str) -> Subscription:
    async with shop.sessions() as session:
        stored = await SubscriptionRepository(session).get(first_charge_id)
    assert stored is not None
    return stored


async def holds(shop: RunningBot, user_id: int, key: str, now: datetime | None = None) -> bool:
    async with shop.sessions() as session:
        return await has(session, user_id, key, now=now)


async def access_ends(shop: RunningBot, user_id: int, key: str) -> datetime | None:
    async with shop.sessions() as session:
        active = {a.key: a for a in await list_active(session, user_id)}
    return active[key].expires_at if key in active else None
