"""The feature routers, in the order the dispatcher tries them.

Each module has `create_router() -> Router`, so that every dispatcher (one per test, too) gets
fresh routers: an aiogram router can be attached to only one parent.
"""

from __future__ import annotations

from aiogram import Router

from bot.routers import (
    access,
    admin,
    chat_admin,
    checkout,
    fallback,
    files,
    ids,
    languages,
    private_only,
    purchases,
    refunds,
    shop,
    start,
    subscriptions,
    support,
)


def create_routers() -> list[Router]:
    # Payments and refunds first: they must never be shadowed by a catch-all (nor by a support
    # conversation). The bot's own membership changes. Then the private commands typed in a
    # group, answered with one short line. /id answers anyone in any chat. Admin commands next,
    # so that a refused one is answered once. Fallback last.
    return [
        checkout.create_router(),
        refunds.create_router(),
        access.create_router(),
        chat_admin.create_router(),
        ids.create_router(),
        private_only.create_router(),
        admin.create_router(),
        start.create_router(),
        languages.create_router(),
        shop.create_router(),
        purchases.create_router(),
        files.create_router(),
        subscriptions.create_router(),
        support.create_router(),
        fallback.create_router(),
    ]
