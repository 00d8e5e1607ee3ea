"""The private chats the bot manages: whether it can (a supergroup or channel where it is an
administrator with the right to invite users and to ban them), their titles, and the one
invite link per chat through which people ask to join.

The same inspection serves the start (which tells the admins what is wrong and stops selling
access to those chats) and `python -m bot check` (one ✗ line per missing right).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberAdministrator
from loguru import logger

from bot.catalog import Catalog, Product
from bot.outcomes import ChatProblem, ChatProblemKind, ChatRight, ChatSetup
from bot.telegram.failures import CALL_ERRORS, describe_failure

# Join requests exist only in these.
JOINABLE_TYPES = frozenset({ChatType.SUPERGROUP, ChatType.CHANNEL})
# The administrator rights the bot needs (texts name them as a person finds them in Telegram).
RIGHTS = tuple(ChatRight)
CALL_TIMEOUT = 10  # seconds for each Bot API call
INVITE_LINK_NAME = "Shop members"


async def inspect_chat(bot: Bot, chat_id: int) -> ChatSetup:
    """Ask Telegram whether the bot can manage `chat_id`: one problem per missing right."""
    try:
        chat = await bot.get_chat(chat_id, request_timeout=CALL_TIMEOUT)
    except CALL_ERRORS as exc:
        problem = ChatProblem(ChatProblemKind.UNSEEN, detail=describe_failure(exc))
        return ChatSetup(chat_id, None, (problem,))
    title = chat.title
    if chat.type not in JOINABLE_TYPES:
        problem = ChatProblem(ChatProblemKind.NOT_JOINABLE, detail=chat.type)
        return ChatSetup(chat_id, title, (problem,))
    try:
        member = await bot.get_chat_member(chat_id, bot.id, request_timeout=CALL_TIMEOUT)
    except CALL_ERRORS as exc:
        problem = ChatProblem(ChatProblemKind.RIGHTS_UNKNOWN, detail=describe_failure(exc))
        return ChatSetup(chat_id, title, (problem,))
    if member.status == ChatMemberStatus.CREATOR:
        return ChatSetup(chat_id, title)
    if not isinstance(member, ChatMemberAdministrator):
        problems = tuple(ChatProblem(ChatProblemKind.NOT_ADMIN, right) for right in RIGHTS)
        return ChatSetup(chat_id, title, problems)
    missing = [right for right in RIGHTS if not getattr(member, right, False)]
    lacks = tuple(ChatProblem(ChatProblemKind.LACKS_RIGHT, right) for right in missing)
    return ChatSetup(chat_id, title, lacks)


@dataclass
class ManagedChats:
    """What the bot knows of the chats its catalog names, kept in memory for the process: the
    latest inspection of each and its invite link (created when first needed, then reused)."""

    bot: Bot
    catalog: Catalog
    setups: dict[int, ChatSetup] = field(default_factory=dict)
    links: dict[int, str] = field(default_factory=dict)
    _link_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def chat_ids(self) -> frozenset[int]:
        return self.catalog.chats

    def usable(self, chat_id: int) -> bool:
        setup = self.setups.get(chat_id)
        return setup is not None and setup.ok

    def unusable_chats_of(self, product: Product) -> list[int]:
        """The chats `product` unlocks that the bot cannot let a buyer into now."""
        return [chat_id for chat_id in self.catalog.chats_of(product) if not self.usable(chat_id)]

    def title(self, chat_id: int) -> str:
        setup = self.setups.get(chat_id)
        return setup.title if setup and setup.title else str(chat_id)

    def join_links(self, chat_ids: Iterable[int]) -> list[tuple[str, str]]:
        """(title, invite link) of each of these chats that has its link already."""
        return [(self.title(c), self.links[c]) for c in dict.fromkeys(chat_ids) if c in self.links]

    def join_links_for_keys(self, keys: Iterable[str]) -> list[tuple[str, str]]:
        """(title, invite link) of each chat these keys unlock."""
        return self.join_links(self.catalog.chats_of_keys(keys))

    async def links_for_keys(self, keys: Iterable[str]) -> list[tuple[str, str]]:
        """`join_links_for_keys`, creating the links still missing of the usable chats."""
        chat_ids = self.catalog.chats_of_keys(keys)
        for chat_id in chat_ids:
            if chat_id not in self.links and self.usable(chat_id):
                await self.ensure_link(chat_id)
        return self.join_links(chat_ids)

    async def check(self, chat_ids: Iterable[int] | None = None) -> list[ChatSetup]:
        """Inspect these chats (every managed one by default) and create the invite link of
        each usable one that has none yet; returns what was found, by chat id."""
        found = []
        for chat_id in sorted(self.chat_ids if chat_ids is None else chat_ids, reverse=True):
            setup = await inspect_chat(self.bot, chat_id)
            self.setups[chat_id] = setup
            if setup.ok:
                await self.ensure_link(chat_id)
            found.append(setup)
        return found

    async def recheck_unusable(self) -> None:
        """The periodic job: a chat fixed since the start becomes usable without a restart (one
        not checked yet is left to the start's own check)."""
        broken = [c for c in self.chat_ids if c in self.setups and not self.usable(c)]
        if broken:
            for setup in await self.check(broken):
                if setup.ok:
                    logger.info(
                        "chat {} ({}): the bot can manage it now", setup.chat_id, setup.title
                    )

    async def ensure_link(self, chat_id: int) -> str | None:
        """The chat's invite link that creates join requests: made once, then reused."""
        async with self._link_lock:
            if chat_id in self.links:
                return self.links[chat_id]
            try:
                link = await self.bot.create_chat_invite_link(
                    chat_id,
                    name=INVITE_LINK_NAME,
                    creates_join_request=True,
                    request_timeout=CALL_TIMEOUT,
                )
            except CALL_ERRORS as exc:
                logger.warning(
                    "could not create the invite link of chat {}: {}",
                    chat_id,
                    describe_failure(exc),
                )
                return None
            self.links[chat_id] = link.invite_link
            return link.invite_link
