"""Filters: who is an admin, in which chat, and who holds an entitlement."""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User
from aiogram.utils.magic_filter import MagicFilter

from bot.config import Settings
from entitlements import has
from storage import SessionFactory


def _user(event: TelegramObject) -> User | None:
    user = getattr(event, "from_user", None)
    return user if isinstance(user, User) else None


class Magic(Filter):
    """A magic filter (`F.successful_payment`) checked in the event loop.

    aiogram runs a bare `F...` filter as it runs any plain function, in a worker thread
    (asyncio.to_thread): a thread hop for every update each such filter sees, just to read a
    field. Wrapped in this, the check costs what reading the field costs.
    """

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> bool:
        return bool(self.magic.resolve(event))


class IsAdmin(Filter):
    """Passes for users listed in ADMIN_IDS.

    Put it on a router (`router.message.filter(IsAdmin())`) so that no admin handler can forget
    it. It only decides: refusing everyone else, once, is a handler's job (see
    `bot.routers.admin`), because a filter that fails lets the update go on to other routers.
    """

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        user = _user(event)
        return user is not None and user.id in settings.admin_ids


def _chat(event: TelegramObject) -> Chat | None:
    """Where a message was sent, or where the message of a pressed button is."""
    if isinstance(event, CallbackQuery):
        message = event.message
        return message.chat if message is not None else None  # None: an inline message's
    return event.chat if isinstance(event, Message) else None


class InPrivateChat(Filter):
    """Passes for a message in a private chat with the bot, or a button under one.

    What shows a buyer's data or the shop's carries it on its router, as the admin gate does:
    a group would show the answer to every member (`bot.routers.private_only` answers there).
    """

    async def __call__(self, event: TelegramObject) -> bool:
        chat = _chat(event)
        return chat is not None and chat.type == ChatType.PRIVATE


class InGroup(Filter):
    """Passes for a message in a group or supergroup, or a button under one: where members
    would see what the bot answers (a channel's posts are not messages to the bot)."""

    async def __call__(self, event: TelegramObject) -> bool:
        chat = _chat(event)
        return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


class HasEntitlement(Filter):
    """Gates a handler on an entitlement key: `@router.message(HasEntitlement("gold"))`."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, event: TelegramObject, readers: SessionFactory) -> bool:
        user = _user(event)
        if user is None:
            return False
        async with readers() as session:
            return await has(session, user.id, self.key)
