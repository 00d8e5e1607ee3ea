"""Retention in the running bot: what is past RETENTION_DAYS is deleted as soon as it starts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlmodel import col

from storage import OutboxMessage, OutboxPriority, OutboxRepository, utcnow
from storage.repositories import outbox_row
from tests.helpers import eventually


async def test_messages_sent_before_retention_days_are_deleted_when_the_bot_starts(
    start_bot, sessions
):
    sent_on = {"long ago": utcnow() - timedelta(days=31), "lately": utcnow() - timedelta(days=29)}
    async with sessions() as session:
        for key, when in sent_on.items():
            row = outbox_row(7, key, priority=OutboxPriority.REPLY, dedupe_key=key, now=when)
            await OutboxRepository(session).queue_many([row])
            statement = update(OutboxMessage).where(col(OutboxMessage.dedupe_key) == key)
            await session.exec(statement.values(sent_at=when))
        await session.commit()

    shop = await start_bot(retention_days=30)

    async def left() -> bool:
        async with shop.sessions() as session:
            keys = (await session.exec(select(col(OutboxMessage.dedupe_key)))).scalars().all()
        return keys == ["lately"]

    await eventually(left)
