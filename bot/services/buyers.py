"""Who a buyer is and what they did: `/user <id or @username>`, and remembering who wrote to
the bot so that an admin can name a buyer by @username.

Usernames come from a `users` table that the bot keeps up to date as people write to it, rather
than from searching the stored updates: Telegram's usernames are case-insensitive and change
hands, old updates are pruned, and a look-up should not scan every update ever received.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict

from loguru import logger

from bot.outcomes import BuyerReport
from bot.services.goodwill import goodwill_history
from entitlements import list_active
from storage import PaymentRepository, RefundRepository, SessionFactory, Writer
from storage.reports import sales_totals
from storage.repositories import Row, UserRepository, remember_users, user_row

USER_PAYMENTS_SHOWN = 20
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,32}")


def parse_user_ref(args: str | None) -> int | str | None:
    """`/user <id or @username>`: a numeric id, a username (without the @), or None."""
    text = (args or "").strip()
    if text.isdigit():
        return int(text)
    name = text.removeprefix("@")
    return name if _USERNAME.fullmatch(name) else None


class Buyers:
    """Who a buyer is (by id or @username) and what they did, for `/user`."""

    def __init__(self, readers: SessionFactory) -> None:
        self.readers = readers

    async def find_user_id(self, ref: int | str) -> int | None:
        """The user id for an id or a username; None when no one by that name wrote to us."""
        if isinstance(ref, int):
            return ref
        async with self.readers() as session:
            user = await UserRepository(session).find_by_username(ref)
        return user.user_id if user else None

    async def report(self, user_id: int) -> BuyerReport:
        """The buyer's totals, latest payments with their refunds, access and goodwill."""
        async with self.readers() as session:
            known = await UserRepository(session).get(user_id)
            [totals] = await sales_totals(session, [None], user_id=user_id)
            payments = await PaymentRepository(session).list_for_user(user_id, USER_PAYMENTS_SHOWN)
            refunds = await RefundRepository(session).refunded_among(
                [p.telegram_payment_charge_id for p in payments]
            )
            active = await list_active(session, user_id)
            goodwill = await goodwill_history(session, user_id)
        return BuyerReport(
            user_id=user_id,
            known=known,
            totals=totals,
            payments=tuple((p, refunds.get(p.telegram_payment_charge_id)) for p in payments),
            active=tuple(active),
            goodwill=tuple(goodwill),
        )


class UserDirectory:
    """Keeps the `users` table current as people write to the bot.

    A user is stored when this process first hears from them and whenever their username or
    name changes, in the background: no handler waits for it, so a locked database slows no
    reply. It remembers the latest `capacity` users it stored, so the rest cost no write.
    """

    def __init__(self, writer: Writer, capacity: int = 100_000) -> None:
        self._writer = writer
        self._capacity = capacity
        self._stored: OrderedDict[int, tuple[str | None, str, str | None]] = OrderedDict()
        self._pending: set[asyncio.Task[None]] = set()

    def saw(
        self, user_id: int, username: str | None, full_name: str, language_code: str | None
    ) -> None:
        """`language_code`: their Telegram app's language, for messages queued for them."""
        seen = (username, full_name, language_code)
        if self._stored.get(user_id) == seen:
            self._stored.move_to_end(user_id)
            return
        self._stored[user_id] = seen
        if len(self._stored) > self._capacity:
            self._stored.popitem(last=False)
        task = asyncio.create_task(self._store(user_row(user_id, *seen)))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _store(self, row: Row) -> None:
        user_id = row["user_id"]
        try:
            await self._writer.write_many(remember_users, row)
        except Exception as exc:  # only a name for /user: never worth failing an update
            self._stored.pop(user_id, None)  # so that the next message tries again
            logger.warning("could not store user {}: {!r}", user_id, exc)
