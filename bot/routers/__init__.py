"""The feature routers, in the order the dispatcher tries them."""

from __future__ import annotations

from aiogram import Router

from bot.routers import checkout, fallback, purchases, shop, start, support


def create_routers() -> list[Router]:
    # Payments first: they must never be shadowed by a catch-all. The fallback goes last.
    return [
        checkout.router,
        start.router,
        shop.router,
        purchases.router,
        support.router,
        fallback.router,
    ]
