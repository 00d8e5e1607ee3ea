"""Filters: who is an admin, and who holds an entitlement."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from loguru import logger

from bot.config import Settings
from entitlements import has
from storage import SessionFactory


def _user(event: TelegramObject) -> User | None:
    user = getattr(event, "from_user", None)
    return user if isinstance(user, User) else None


class IsAdmin(Filter):
    """Passes for users listed in ADMIN_IDS; anyone else is told "not allowed" and logged."""

    def __init__(self, *, answer_others: bool = True) -> None:
        self.answer_others = answer_others

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        user = _user(event)
        if user is not None and user.id in settings.admin_ids:
            return True
        if self.answer_others and _is_admin_command(event):
            logger.warning("non-admin {} tried an admin action: {}", user and user.id, event)
            await _refuse(event)
        return False


ADMIN_PREFIXES = ("/refund", "/reconcile")


def _is_admin_command(event: TelegramObject) -> bool:
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith("adm:")
    if isinstance(event, Message) and event.text:
        command = event.text.split(maxsplit=1)[0].split("@", 1)[0]
        return command in ADMIN_PREFIXES
    return False


async def _refuse(event: TelegramObject) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer("Not allowed.", show_alert=True)
    elif isinstance(event, Message):
        await event.answer("Not allowed: this command is for the shop's admins.")


class HasEntitlement(Filter):
    """Gates a handler on an entitlement key: `@router.message(HasEntitlement("gold"))`."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, event: TelegramObject, sessions: SessionFactory) -> bool | dict[str, Any]:
        user = _user(event)
        if user is None:
            return False
        async with sessions() as session:
            return await has(session, user.id, self.key)
