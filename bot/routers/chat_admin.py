"""The bot made an administrator of a group, supergroup or channel (its `my_chat_member`):
the admins are told the chat's id and what the bot still needs there. Made a plain member or
removed, the bot says nothing here (a managed chat's loss shows when a removal fails there)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated

from bot.filters import Magic
from bot.services.chat_admin import ChatAdminNotices, Promotion
from bot.services.chat_setup import RIGHTS


def create_router() -> Router:
    router = Router(name=__name__)
    made_admin = Magic(F.new_chat_member.status == ChatMemberStatus.ADMINISTRATOR)
    router.my_chat_member.register(on_made_admin, made_admin)
    return router


async def on_made_admin(update: ChatMemberUpdated, chat_admin: ChatAdminNotices) -> None:
    rights = update.new_chat_member
    promotion = Promotion(
        chat_id=update.chat.id,
        title=update.chat.title,
        chat_type=update.chat.type,
        missing=tuple(right for right in RIGHTS if not getattr(rights, right, False)),
        by=update.from_user.full_name,
        date=int(update.date.timestamp()),
    )
    await chat_admin.bot_made_admin(promotion)
