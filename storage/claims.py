"""Inbox rows claimed by one process among several on one PostgreSQL database.

Every process runs updates from the inbox; a claim decides which process runs which. The rules:

- One chat's pending updates are held by one process at a time: a process claims a chat's rows
  only while no other process holds an unexpired lease on a pending row of that chat. As a row
  stays pending (and claimed) until its handler finished and it was marked done, the next
  process to take the chat starts after the last one's update finished: order is kept.
- A claim takes the oldest pending rows first, up to the room the claimer has, so a process
  takes only what it can run soon, and a busy process leaves the rest to the others.
- A lease (`claimed_until`, on the database's clock, so the machines' clocks do not matter) is
  renewed while the process holds its rows; a process killed mid-update stops renewing, and
  its rows are claimed again when the lease runs out. Handlers are idempotent (an update run
  twice records nothing twice), as they are for a restart.

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
# Pending rows that are not held by another process's lease: the oldest first, up to :room.
CLAIM = text(
    """
    WITH held AS (
        SELECT DISTINCT chat_id FROM inbox
        WHERE status = 'pending' AND chat_id IS NOT NULL
          AND claimed_by <> :me AND claimed_until > now()
    ), taken AS (
        SELECT id FROM inbox
        WHERE status = 'pending'
          AND (claimed_by IS NULL OR claimed_until <= now())
          AND (chat_id IS NULL OR chat_id NOT IN (SELECT chat_id FROM held))
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
    """How a process names itself in `claimed_by`: its host and pid, and a random part, as a
    pid is reused after a restart (or by another container on the host)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


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
