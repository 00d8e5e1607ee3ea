"""Inbox rows claimed by one process among several on one PostgreSQL database.

Every process runs updates from the inbox; a claim decides which process runs which. The rules:

- One chat's pending updates are held by one process at a time: a process claims a chat's rows
  only while no other process holds an unexpired lease on a pending row of that chat. As a row
  stays pending (and claimed) until its handler finished and it was marked done, the next
  process to take the chat starts after the last one's update finished: order is kept.
- A claim takes the oldest pending rows first, up to the room the claimer has, so a process
  takes only what it can run soon, and a busy process leaves the rest to the others.
- A claim lasts while its process's claims connection is open (the connection is named after
  the process, `claimed_by`, in pg_stat_activity) and its lease is not over (`claimed_until`, on
  the database's clock, so the machines' clocks do not matter; renewed while the process holds
  its rows). A process killed mid-update drops its connection, so its rows are claimed again at
  once, as its advisory locks go (within about 10 s for a lost machine, by TCP keepalive); the
  lease is the net for a process that hangs with its connection open. Handlers are idempotent
  (an update run twice records nothing twice), as they are for a restart.

Claims are serialized across processes by a transaction-level advisory lock. FOR UPDATE SKIP
LOCKED alone cannot keep a chat's rows together: two processes would each skip the other's
locked row and take the next row of the same chat. A claim is one short statement per batch
of rows (not per row), so taking turns costs little, and with one claim at a time the rules
above hold by construction.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.locks import hold_advisory_locks

CLAIM_LOCK = "inbox claims"
# Pending rows no claim holds, of chats no other process holds: the oldest first, up to :room.
CLAIM = text(
    """
    WITH alive AS (
        SELECT application_name FROM pg_stat_activity WHERE application_name <> ''
    ), holding AS (
        SELECT id, chat_id, claimed_by FROM inbox
        WHERE status = 'pending' AND claimed_until > now()
          AND claimed_by IN (SELECT application_name FROM alive)
    ), taken AS (
        SELECT id FROM inbox
        WHERE status = 'pending'
          AND id NOT IN (SELECT id FROM holding)
          AND (chat_id IS NULL OR chat_id NOT IN (
              SELECT chat_id FROM holding WHERE claimed_by <> :me AND chat_id IS NOT NULL
          ))
        ORDER BY id
        LIMIT :room
    )
    UPDATE inbox SET claimed_by = :me, claimed_until = now() + make_interval(secs => :lease)
    FROM taken WHERE inbox.id = taken.id
    RETURNING inbox.id, inbox.raw, inbox.attempts
    """
)
RENEW = text(
    "UPDATE inbox SET claimed_until = now() + make_interval(secs => :lease) "
    "WHERE claimed_by = :me AND status = 'pending'"
)
RELEASE = text(
    "UPDATE inbox SET claimed_by = NULL, claimed_until = NULL "
    "WHERE claimed_by = :me AND status = 'pending'"
)
# The channel the inbox's inserts are announced on (migration 0010's trigger); a release says
# so on it too, for the other processes to claim what this one let go.
INBOX_CHANNEL = "stars_shop_inbox"
OUTBOX_CHANNEL = "stars_shop_outbox"


def process_id() -> str:
    """How a process names itself in `claimed_by` and its claims connection: a random part (a
    pid is reused after a restart, or by another container on the host), its pid and host; cut
    to the 63 characters PostgreSQL keeps of a connection's application_name."""
    return f"{secrets.token_hex(4)}:{os.getpid()}:{socket.gethostname()}"[:63]


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    raw: str
    attempts: int


async def claim(session: AsyncSession, me: str, room: int, lease: float) -> list[ClaimedRow]:
    """Claim for `me` up to `room` pending rows, by the rules of the module docstring, for
    `lease` seconds; returns them in the order they were stored."""
    await hold_advisory_locks(session, [CLAIM_LOCK])
    connection = await session.connection()
    result = await connection.execute(CLAIM, {"me": me, "room": room, "lease": lease})
    return sorted((ClaimedRow(*row) for row in result), key=lambda row: row.id)


async def renew(session: AsyncSession, me: str, lease: float) -> int:
    """Extend the lease of `me`'s pending rows; returns how many it holds."""
    result = await (await session.connection()).execute(RENEW, {"me": me, "lease": lease})
    return int(result.rowcount)


async def release(session: AsyncSession, me: str) -> int:
    """Give up `me`'s pending rows (a clean stop), and tell the others to claim them."""
    connection = await session.connection()
    result = await connection.execute(RELEASE, {"me": me})
    await connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": INBOX_CHANNEL})
    return int(result.rowcount)
