"""Text Telegram refuses to parse (a formatting bug) still reaches the user, as plain text."""

from __future__ import annotations

from sqlmodel import select

from bot.telegram import create_bot
from storage import OutboxMessage, OutboxPriority, OutboxRepository
from tests.helpers import eventually

# Unescaped "<" and a tag closed in the wrong order: Telegram answers "can't parse entities".
BROKEN = "Thank you, <b>Gold</b> &amp; <i>more</b>: 2 < 3"
READABLE = "Thank you, Gold & more: 2 < 3"


async def test_owed_message_telegram_cannot_parse_is_sent_as_plain_text(emulator, shop):
    buyer = emulator.user("Ann")
    async with shop.sessions() as session:
        await OutboxRepository(session).queue(
            buyer.id, BROKEN, priority=OutboxPriority.PAYMENT_NOTICE, dedupe_key="broken"
        )
        await session.commit()

    message = await emulator.wait_for_message(buyer.id)

    assert message["text"] == READABLE and "entities" not in message
    refused, sent = emulator.calls("sendMessage")
    assert refused.status == 400 and "can't parse entities" in refused.response["description"]
    assert sent.ok and "parse_mode" not in sent.params

    async def marked_sent() -> OutboxMessage | None:
        async with shop.sessions() as session:
            row = (await session.exec(select(OutboxMessage))).one()
        return row if row.sent_at is not None else None

    row = await eventually(marked_sent)
    assert row.failed_at is None


async def test_direct_reply_and_edit_telegram_cannot_parse_are_sent_as_plain_text(
    emulator, make_settings
):
    buyer = emulator.user("Ann")
    bot = create_bot(make_settings())
    try:
        sent = await bot.send_message(buyer.id, BROKEN)
        edited = await bot.edit_message_text(
            BROKEN + "!", chat_id=buyer.id, message_id=sent.message_id
        )
    finally:
        await bot.session.close()

    assert sent.text == READABLE
    assert not isinstance(edited, bool) and edited.text == READABLE + "!"
    assert [c.status for c in emulator.requests] == [400, 200, 400, 200]
