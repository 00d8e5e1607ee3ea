"""The private chats the bot manages: join requests, members leaving, and the set-up check at
start. In those chats the bot says nothing (see `bot.middlewares.managed_chats`)."""

from __future__ import annotations

import time

from aiogram import Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatJoinRequest, ChatMemberUpdated
from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.config import Settings
from bot.services.access import JoinRequests
from bot.services.chat_setup import ManagedChats
from bot.services.languages import UserLanguages
from storage import OutboxPriority, Writer
from storage.repositories import OutboxRepository, outbox_row

OUT_OF_CHAT = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.KICKED})


def create_router() -> Router:
    router = Router(name=__name__)
    router.chat_join_request.register(on_join_request)
    router.chat_member.register(on_member_change)
    router.startup.register(check_managed_chats)
    return router


async def on_join_request(request: ChatJoinRequest, join_requests: JoinRequests) -> None:
    await join_requests.handle(request)


async def on_member_change(update: ChatMemberUpdated, join_requests: JoinRequests) -> None:
    if update.new_chat_member.status in OUT_OF_CHAT:
        await join_requests.member_left(update.chat.id, update.new_chat_member.user.id)


async def check_managed_chats(
    chats: ManagedChats, writer: Writer, settings: Settings, languages: UserLanguages
) -> None:
    """At start: can the bot manage every chat of the catalog? One ✗ line per missing right in
    the log, and a notice to the admins; access to those chats is not sold until fixed."""
    if not chats.chat_ids:
        return
    problems = [setup for setup in await chats.check() if not setup.ok]
    for setup in problems:  # in the source language: no update's, no recipient's
        for problem in setup.problems:
            logger.error("✗ {}: {}", texts.chat_setup_name(setup), texts.chat_problem(problem))
    if not problems:
        logger.info("the bot can manage its {} private chat(s)", len(chats.chat_ids))
        return
    started = int(time.time())
    admin_ids = sorted(settings.admin_ids)

    async def owe_admins(session: AsyncSession) -> None:
        admins = await languages.of_many(session, admin_ids)
        rows = [
            outbox_row(
                admin,
                admins.render(admin, lambda: texts.admin_access_setup(problems)),
                priority=OutboxPriority.ADMIN_NOTICE,
                dedupe_key=f"access-setup:{started}:{admin}",
            )
            for admin in admin_ids
        ]
        await OutboxRepository(session).queue_many(rows)

    await writer.write(owe_admins)
