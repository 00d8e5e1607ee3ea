"""Telegram's side: what it keeps for one bot (chats, Stars, updates) and its Bot API methods."""

from emulator.telegram.bot import FakeTelegram
from emulator.telegram.world import PendingCheckout, SpecViolation, unique_query_id

__all__ = ["FakeTelegram", "PendingCheckout", "SpecViolation", "unique_query_id"]
