"""A message queued for someone other than the user whose update is handled, or by a periodic
job, is in its recipient's language: their /language choice, else their Telegram app's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlmodel import col, select

from bot import texts
from bot.i18n import speaking
from emulator import BotAPIEmulator, User
from storage import OutboxMessage, PaymentRepository, utcnow
from storage.repositories import UserRepository
from tests.helpers import (
    ADMIN_ID,
    SECOND_ADMIN_ID,
    RunningBot,
    eventually,
    pro_month_ends,
    request_invoice,
    say,
)


def rendered(language: str, render: Callable[[], str]) -> str:
    with speaking(language):
        return render()


async def introduced(emu: BotAPIEmulator, shop: RunningBot, user: User) -> None:
    """`user` writes to the bot, which keeps their Telegram app's language."""
    await say(emu, user, "/start")

    async def kept() -> bool:
        async with shop.reads() as session:
            _, language_code = await UserRepository(session).languages_of(user.id)
        return language_code == user.language_code

    await eventually(kept)


async def pay_for(emu: BotAPIEmulator, user: User, product_id: str) -> str:
    """The whole purchase, in whatever language the buyer reads; returns the charge id."""
    invoice = await request_invoice(emu, user, product_id)
    since = emu.mark()
    result = await emu.pay(user, invoice)
    assert result.ok and result.charge_id, result.error_message
    await emu.wait_for_message(user.id, since=since)  # the confirmation
    return result.charge_id


async def owed(shop: RunningBot, chat_id: int, dedupe_prefix: str) -> list[str]:
    """The texts the bot queued for `chat_id` under dedupe keys starting with `dedupe_prefix`."""
    async with shop.reads() as session:
        statement = select(OutboxMessage.text).where(
            OutboxMessage.chat_id == chat_id,
            col(OutboxMessage.dedupe_key).startswith(dedupe_prefix),
        )
        return list((await session.exec(statement.order_by(col(OutboxMessage.id)))).all())


async def test_an_english_admins_refund_tells_a_russian_buyer_in_russian(emulator, shop):
    admin = emulator.telegram.chats.users[ADMIN_ID]
    assert admin.language_code == "en"
    buyer = emulator.user("Ann", language_code="ru")
    charge_id = await pay_for(emulator, buyer, "gold")

    since = emulator.mark()
    await say(emulator, admin, f"/refund {charge_id}")
    await emulator.wait_for_message(buyer.id, since=since)

    async with shop.reads() as session:
        payment = await PaymentRepository(session).get(charge_id)
    assert payment is not None
    gold = shop.catalog.get("gold")

    def notice() -> str:
        return texts.refund_notice(payment, gold, revoked=1, granted_instead=None)

    assert await owed(shop, buyer.id, f"refund:{charge_id}") == [rendered("ru", notice)]
    assert rendered("ru", notice) != rendered("en", notice)


async def test_a_russian_buyers_support_request_reaches_each_admin_in_their_own_language(
    emulator, shop
):
    english = emulator.telegram.chats.users[ADMIN_ID]
    russian = emulator.user(
        "Second admin", id=SECOND_ADMIN_ID, username="second_admin", language_code="ru"
    )
    for admin in (english, russian):
        await introduced(emulator, shop, admin)
    buyer = emulator.user("Ann", language_code="ru")

    await say(emulator, buyer, "/paysupport")
    since = emulator.mark()
    await say(emulator, buyer, "charged twice")
    for admin in (english, russian):
        await emulator.wait_for_message(admin.id, since=since)

    def request() -> str:
        return texts.support_request(buyer.id, None, "Ann", "charged twice", [], {}, shop.catalog)

    assert await owed(shop, english.id, "support:") == [rendered("en", request)]
    assert await owed(shop, russian.id, "support:") == [rendered("ru", request)]
    assert rendered("ru", request) != rendered("en", request)


async def test_a_reminder_the_job_queues_for_a_russian_buyer_is_in_russian(
    emulator, start_bot: Callable[..., Awaitable[RunningBot]]
):
    shop = await start_bot()
    buyer = emulator.user("Ann", language_code="ru")
    await pay_for(emulator, buyer, "pro_month")
    end = (utcnow() + timedelta(hours=20)).replace(microsecond=0)
    await pro_month_ends(shop, buyer.id, end)

    await shop.stop()
    since = emulator.mark()
    shop = await start_bot()  # the reminders' job runs at start, outside any update
    await emulator.wait_for_message(buyer.id, since=since)

    pro_month = shop.catalog.get("pro_month")
    assert pro_month is not None

    def reminder() -> str:
        return texts.reminder_timed(pro_month, end)

    assert await owed(shop, buyer.id, "reminder:") == [rendered("ru", reminder)]
    assert rendered("ru", reminder) != rendered("en", reminder)
