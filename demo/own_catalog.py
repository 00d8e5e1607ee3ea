"""The tour with a shop owner's own catalog (`CATALOG_PATH=shop.toml make demo`): Ann buys the
catalog's first product, at its title and price, and each step that needs something the
catalog lacks (a private chat, codes) is skipped with a line saying why."""

from __future__ import annotations

from bot import texts
from bot.catalog import Catalog, Product, ProductKind
from bot.keyboards.shop import BuyButton
from demo.tour import Tour, buttons
from emulator import Group, User

# Loaded for each product with codes = true, as `python -m bot codes add` would.
CODES = ["DEMO-CODE-0001", "DEMO-CODE-0002", "DEMO-CODE-0003"]
# Why buying a product again is no "already own it" moment, by kind.
BOUGHT_AGAIN = {
    ProductKind.TIMED: "a timed product can be bought again: it adds its days",
    ProductKind.CONSUMABLE: "a consumable is bought again and again",
    ProductKind.SUBSCRIPTION: "a subscription is not owned, it renews every month",
}


def open_chats(tour: Tour, catalog: Catalog, owner: User) -> dict[int, Group]:
    """The catalog's private chats, as channels of `owner` with the bot an administrator
    allowed to let people in and out, as the set-up in README.md asks."""
    chats = {}
    for chat_id in sorted(catalog.chats, reverse=True):
        channel = chats[chat_id] = tour.emulator.channel(f"Channel {chat_id}", id=chat_id)
        tour.emulator.add_member(channel, owner, status="creator")
        tour.chats[chat_id] = channel.title
    return chats


async def script(
    tour: Tour, catalog: Catalog, chats: dict[int, Group], ann: User, bob: User, admin: User
) -> None:
    [first, *_] = catalog
    tour.out.write(
        f"Stars shop demo with your catalog: the real bot and a Telegram emulator, offline. Ann "
        f"buys its first product, {first.title} ({texts.price(first)}); Alex is the shop's "
        "admin.\n\n"
    )
    await tour.says(ann, "/start")
    shop = await tour.says(ann, "/shop")
    [label] = [b["text"] for b in buttons(shop) if b.get("callback_data") == _buy(first)]
    offer = await tour.taps(ann, shop, label, (ann, ""))
    if first.kind is ProductKind.SUBSCRIPTION:
        await tour.pays_link(ann, offer, (ann, "Thank you"))
    else:
        await tour.pays(ann, offer, (ann, "Thank you"))
    await _joins(tour, catalog, chats, first, ann)
    if first.kind is ProductKind.ONE_TIME:
        await tour.says(ann, f"/buy {first.id}", (ann, "You already own"))
    else:
        tour.skips('"you already own it"', BOUGHT_AGAIN[first.kind])
    await _buys_a_code(tour, catalog, bob)
    await tour.says(ann, "/mypurchases")
    await tour.says(admin, "/stats", (admin, "Sales as of"))
    tour.out.write("The end: every message above went through the real bot's code.\n")


async def _joins(
    tour: Tour, catalog: Catalog, chats: dict[int, Group], product: Product, ann: User
) -> None:
    unlocked = catalog.chats_of(product)
    if not unlocked:
        tour.skips("joining a private chat", f"{product.title} unlocks none")
        return
    await tour.asks_to_join(ann, chats[unlocked[0]], "approveChatJoinRequest")


async def _buys_a_code(tour: Tour, catalog: Catalog, bob: User) -> None:
    with_codes = [product for product in catalog if product.codes]
    if not with_codes:
        tour.skips("a code sold from stock", "no product of this catalog has codes = true")
        return
    invoice = await tour.says(bob, f"/buy {with_codes[0].id}")
    await tour.pays(bob, invoice, (bob, "Your code"))


def _buy(product: Product) -> str:
    return BuyButton(product_id=product.id).pack()
