"""Codes and limited stock end to end: loading codes, selling each once, sold out at
pre-checkout, a flash sale that never oversells, and a payment with nothing left refunded."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from loguru import logger
from sqlmodel import col, select

from bot import texts
from bot.outcomes import Refusal
from bot.services.offers import PayloadSigner
from emulator import BotAPIEmulator, Fault, User
from entitlements import has
from storage import AuditEvent, Payment, Refund
from storage.goods import Code, OwedRefund, StockSale
from tests.e2e.process import run_command
from tests.helpers import ADMIN_ID, buy, eventually, request_invoice, say

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")
SOLD_OUT = texts.refusal_message(Refusal.SOLD_OUT)
CATALOG = """
[[product]]
id = "vpn"
title = "VPN key"
description = "One personal key."
price = 150
kind = "consumable"
codes = true

[[product]]
id = "poster"
title = "Signed poster"
description = "One of a few."
price = 500
kind = "one_time"
grants = ["poster"]
stock = {stock}
"""


def write_catalog(folder: Path, stock: int = 5) -> Path:
    path = folder / "catalog.toml"
    path.write_text(CATALOG.format(stock=stock))
    return path


async def rows(bot, model, *conditions):
    async with bot.sessions() as session:
        return list((await session.exec(select(model).where(*conditions))).all())


def code_in(message: dict) -> str:
    found = re.search(r"Your code: (\S+)", message["text"])
    assert found, message["text"]
    return found.group(1)


def texts_to(emu: BotAPIEmulator, user_id: int) -> list[str]:
    return [m.get("text", "") for m in emu.sent_messages(user_id)]


async def test_codes_each_sold_once_then_sold_out(emulator, start_bot, database_url, tmp_path):
    catalog = write_catalog(tmp_path)
    codes_file = tmp_path / "codes.txt"
    codes_file.write_text("KEY-AAA\n\n  KEY-BBB  \nKEY-AAA\nKEY-CCC\n")
    command = ("codes", "add", "vpn", str(codes_file))
    where = {"database_url": database_url, "catalog_path": catalog}
    code, stdout, _ = await run_command(tmp_path, *command, **where)
    assert (code, stdout) == (
        0,
        "vpn: 3 added, 1 skipped (repeated, or loaded before), 3 in stock\n",
    )
    logged: list[str] = []
    sink = logger.add(lambda message: logged.append(str(message)), level="DEBUG")
    try:
        bot = await start_bot(catalog_path=catalog)
        buyers = [emulator.user(name) for name in ("Ann", "Ben", "Cid", "Dee")]
        # The fourth asked for an invoice while codes were left, and pays once they are gone.
        invoice = await request_invoice(emulator, buyers[3], "vpn")
        sold = []
        for buyer in buyers[:3]:
            await buy(emulator, buyer, "vpn")
            sold.append(code_in(emulator.sent_messages(buyer.id)[-1]))
        assert sorted(sold) == ["KEY-AAA", "KEY-BBB", "KEY-CCC"]

        # The fourth is refused before paying; /buy and /shop say so, with no button.
        refused = await emulator.pay(buyers[3], invoice)
        assert (refused.ok, refused.error_message, refused.charge_id) == (False, SOLD_OUT, None)
        asked = await say(emulator, buyers[3], "/buy vpn")
        assert asked["text"] == "Sorry, VPN key is sold out. See /shop for what is available."
        shop_message = await say(emulator, buyers[3], "/shop")
        assert (
            "VPN key: 150 ⭐, gives a code (forever, buy as often as you like) — sold out"
            in (shop_message["text"])
        )
        buttons = shop_message["reply_markup"]["inline_keyboard"]
        assert [row[0]["text"] for row in buttons] == ["Signed poster: 500 ⭐"]

        # Loading the same file again, while the bot runs, adds none.
        code, stdout, _ = await run_command(tmp_path, *command, **where)
        assert (code, stdout) == (
            0,
            "vpn: 0 added, 4 skipped (repeated, or loaded before), 0 in stock\n",
        )

        # The buyer sees the code again in /mypurchases; admins heard "low" once, "out" once.
        assert f"Your code: {sold[0]}" in (await say(emulator, buyers[0], "/mypurchases"))["text"]
        stock = await say(emulator, ADMIN, "/stock")
        assert "VPN key (vpn): 0 left, 3 sold, 0 reserved" in stock["text"]
        assert "Signed poster (poster): 5 left, 0 sold, 0 reserved" in stock["text"]
        notices = [t for t in texts_to(emulator, ADMIN_ID) if t.startswith("📦 VPN key")]
        assert len(notices) == 2 and "2 left" in notices[0] and "sold out" in notices[1]

        # A refund revokes the code: it is not sold again.
        charge = (await rows(bot, Code, Code.code == sold[0]))[0].telegram_payment_charge_id
        await say(emulator, ADMIN, f"/refund {charge}")
        [revoked] = await eventually(lambda: rows(bot, Code, col(Code.revoked_at).is_not(None)))
        assert revoked.code == sold[0]
        again = await emulator.pay(buyers[3], invoice)
        assert again.error_message == SOLD_OUT
        assert sold[0] not in (await say(emulator, buyers[0], "/mypurchases"))["text"]
    finally:
        logger.remove(sink)
    # Codes are secrets: in no log line, audit row or export.
    audit = "".join(event.raw for event in await rows(bot, AuditEvent))
    code, export, _ = await run_command(tmp_path, "export", "-", database_url=database_url)
    for secret in sold:
        assert not any(secret in line for line in logged)
        assert secret not in audit and secret not in export


async def test_stock_of_five_with_forty_buyers_paying_at_once(emulator, start_bot, tmp_path):
    bot = await start_bot(catalog_path=write_catalog(tmp_path, stock=5))
    payload = PayloadSigner(emulator.token).encode("poster", 500)
    buyers = [emulator.user(f"Buyer {n}") for n in range(40)]
    results = await asyncio.gather(
        *(emulator.pay(buyer, payload=payload, total_amount=500) for buyer in buyers)
    )
    paid = [r for r in results if r.ok]
    assert len(paid) == 5
    assert [r.error_message for r in results if not r.ok] == [SOLD_OUT] * 35

    await eventually(lambda: _count(bot, Payment, 5))
    assert len(await rows(bot, StockSale)) == 5
    assert await rows(bot, OwedRefund) == []
    holders = [b for b in buyers if await _holds(bot, b.id, "poster")]
    assert len(holders) == 5


async def test_payment_with_no_stock_left_is_refunded_once_and_grants_nothing(
    emulator, start_bot, tmp_path
):
    bot = await start_bot(catalog_path=write_catalog(tmp_path, stock=1))
    first, late, third = (emulator.user(name) for name in ("Eve", "Fay", "Gus"))
    bought = await buy(emulator, first, "poster")

    # A payment that never had a pre-checkout accepted (a crash, an old charge): Telegram took
    # the Stars. The first refund attempt fails with a 500; the next one is made.
    emulator.inject("refundStarPayment", Fault(status=500), times=1)
    payload = PayloadSigner(emulator.token).encode("poster", 500)
    charge, _ = emulator.telegram.complete_payment(late, "XTR", 500, payload)

    [refund] = await eventually(lambda: rows(bot, Refund, Refund.user_id == late.id), 20)
    assert (refund.telegram_payment_charge_id, refund.source) == (charge.charge_id, "sold_out")
    done = col(OwedRefund.done_at).is_not(None)
    [owed] = await eventually(lambda: rows(bot, OwedRefund, done))
    assert owed.attempts == 2 and await rows(bot, OwedRefund) == [owed]
    assert not await _holds(bot, late.id, "poster")
    assert len(await rows(bot, StockSale)) == 1
    await emulator.wait_for_message(late.id, text_contains="was refunded")
    [apology] = [t for t in texts_to(emulator, late.id) if "sold out just before" in t]
    assert "Charge id" in apology

    # Refunding the first sale returns its unit: the next buyer gets it.
    await say(emulator, ADMIN, f"/refund {bought.charge_id}")
    await eventually(lambda: rows(bot, StockSale, col(StockSale.returned_at).is_not(None)))
    await eventually(lambda: _accepts(emulator, third, payload), 15)
    assert await eventually(lambda: _holds(bot, third.id, "poster"))
    refunded = [c for c in emulator.charges.values() if c.refunded]
    assert sorted(c.charge_id for c in refunded) == sorted([charge.charge_id, bought.charge_id])


async def _count(bot, model, expected: int) -> bool:
    return len(await rows(bot, model)) == expected


async def _holds(bot, user_id: int, key: str) -> bool:
    async with bot.sessions() as session:
        return await has(session, user_id, key)


async def _accepts(emulator: BotAPIEmulator, buyer: User, payload: str) -> bool:
    """The buyer pays; True once the pre-checkout is accepted (the stock count refreshes every
    few seconds)."""
    return (await emulator.pay(buyer, payload=payload, total_amount=500)).ok
