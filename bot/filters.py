"""Filters: who is an admin, and who holds an entitlement."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject, User
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
