"""The bot made an administrator of a group, supergroup or channel: every admin is told the
chat's id, for the catalog's `chats` (a channel has no /id: no one there writes to the bot),
and which of the rights the shop needs the bot still lacks. A chat the catalog names already is
looked at again at once, so that rights given now sell access to it again without waiting for
the periodic check. Nothing is said in the chat itself."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import partial

from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog
from bot.outcomes import ChatRight
from bot.services.chat_setup import ManagedChats
from bot.services.languages import UserLanguages
from bot.services.retry import with_db_retry
from storage import OutboxPriority, OutboxRepository, Writer
from storage.repositories import outbox_row


@dataclass(frozen=True)
class Promotion:
    """What the bot's `my_chat_member` update says once it is an administrator."""

    chat_id: int
    title: str | None
    chat_type: str  # "group", "supergroup" or "channel"
    missing: tuple[ChatRight, ...]  # the rights it needs and was not given
    by: str | None  # who made it one, as a person's name
    date: int  # the update's, in Unix time


class ChatAdminNotices:
    """Tells the admins about each chat the bot becomes an administrator of."""

    def __init__(
        self,
        writer: Writer,
        catalog: Catalog,
        chats: ManagedChats,
        admin_ids: Collection[int],
        *,
        languages: UserLanguages,
    ) -> None:
        self.writer = writer
        self.languages = languages  # each admin's notice in theirs
        self.catalog = catalog
        self.chats = chats
        self.admin_ids = sorted(admin_ids)

    async def bot_made_admin(self, promotion: Promotion) -> None:
        """Owe every admin the notice; re-inspect the chat if the catalog sells it."""
        chat_id = promotion.chat_id
        keys = sorted(self.catalog.keys_for_chat(chat_id))
        notice = partial(
            texts.admin_bot_made_admin,
            chat_id,
            promotion.title,
            promotion.chat_type,
            missing=promotion.missing,
            keys=keys,
            by=promotion.by,
        )
        # The same update handled twice owes nothing more.
        dedupe = f"bot-admin:{chat_id}:{promotion.date}:{','.join(promotion.missing)}"

        async def owe_admins(session: AsyncSession) -> None:
            admins = await self.languages.of_many(session, self.admin_ids)
            rows = [
                outbox_row(
                    admin,
                    admins.render(admin, notice),
                    priority=OutboxPriority.ADMIN_NOTICE,
                    dedupe_key=f"{dedupe}:{admin}",
                )
                for admin in self.admin_ids
            ]
            await OutboxRepository(session).queue_many(rows)

        await with_db_retry(
            lambda: self.writer.write(owe_admins), what=f"tell the admins about chat {chat_id}"
        )
        logger.info(
            "the bot was made an administrator of {} {}; rights it lacks there: {}",
            promotion.chat_type,
            chat_id,
            ", ".join(promotion.missing) or "none",
        )
        if keys:
            await self.chats.check([chat_id])
