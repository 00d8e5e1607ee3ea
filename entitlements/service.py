"""The entitlements API; see the package docstring."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Entitlement, utcnow
from storage.repositories import insert_ignoring_conflict


@dataclass(frozen=True)
class ActiveEntitlement:
    """A key a user holds now: `expires_at` None means forever."""

    key: str
    expires_at: datetime | None
    charge_ids: tuple[str, ...]


def _active_at(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(Entitlement.revoked_at).is_(None),
        col(Entitlement.starts_at) <= now,
        or_(col(Entitlement.expires_at).is_(None), col(Entitlement.expires_at) > now),
    )


async def _current_end(
    session: AsyncSession, user_id: int, key: str, now: datetime
) -> datetime | None:
    """Where a new timed grant of `key` starts: the latest unrevoked end still ahead, if any."""
    statement = select(func.max(Entitlement.expires_at)).where(
        Entitlement.user_id == user_id,
        Entitlement.key == key,
        col(Entitlement.revoked_at).is_(None),
        col(Entitlement.expires_at) > now,
    )
    end: datetime | None = (await session.exec(statement)).one()
    return end


async def grant_for_charge(
    session: AsyncSession,
    *,
    user_id: int,
    charge_id: str,
    keys: Iterable[str],
    duration: timedelta | None = None,
    now: datetime | None = None,
) -> list[Entitlement]:
    """Grant `keys` to `user_id` for the payment `charge_id`.

    With `duration`, each key runs for that long from its current end (so buying a timed product
    again extends it), or from `now` when the user holds none. Granting the same charge again
    changes nothing. Returns the entitlements this charge holds afterwards.
    """
    now = now or utcnow()
    for key in dict.fromkeys(keys):
        starts_at = now
        expires_at = None
        if duration is not None:
            starts_at = max(now, await _current_end(session, user_id, key, now) or now)
            expires_at = starts_at + duration
        row = Entitlement(
            user_id=user_id,
            key=key,
            telegram_payment_charge_id=charge_id,
            starts_at=starts_at,
            expires_at=expires_at,
            granted_at=now,
        )
        await insert_ignoring_conflict(session, row)
    statement = select(Entitlement).where(Entitlement.telegram_payment_charge_id == charge_id)
    return list((await session.exec(statement)).all())


async def revoke_for_charge(
    session: AsyncSession, charge_id: str, *, now: datetime | None = None
) -> int:
    """Revoke everything `charge_id` granted; returns how many keys were still unrevoked.

    A revoked timed period gives back the time it had left: the user's later periods of the
    same key (bought while it ran, so queued after it) move earlier by that much, and the
    access they were paid for does not wait for a period that no longer counts.
    """
    now = now or utcnow()
    statement = select(Entitlement).where(
        Entitlement.telegram_payment_charge_id == charge_id,
        col(Entitlement.revoked_at).is_(None),
    )
    revoked = 0
    for row in (await session.exec(statement)).all():
        # Only the call that flips revoked_at gives the time back, however many race here.
        revoke = (
            update(Entitlement)
            .where(col(Entitlement.id) == row.id, col(Entitlement.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        if not (await session.exec(revoke)).rowcount:
            continue
        revoked += 1
        await _give_back_unused_time(session, row, now)
    return revoked


async def _give_back_unused_time(
    session: AsyncSession, revoked: Entitlement, now: datetime
) -> None:
    """Move the periods queued after `revoked` (same user and key) earlier by the time it
    had left; a forever or an expired grant has none."""
    if revoked.expires_at is None:
        return
    unused = revoked.expires_at - max(now, revoked.starts_at)
    if unused <= timedelta(0):
        return
    statement = select(Entitlement).where(
        Entitlement.user_id == revoked.user_id,
        Entitlement.key == revoked.key,
        col(Entitlement.revoked_at).is_(None),
        col(Entitlement.expires_at).is_not(None),
        col(Entitlement.starts_at) >= revoked.expires_at,
    )
    for later in (await session.exec(statement)).all():
        assert later.expires_at is not None
        later.starts_at -= unused
        later.expires_at -= unused
        session.add(later)


async def has(
    session: AsyncSession, user_id: int, key: str, *, now: datetime | None = None
) -> bool:
    """Whether `user_id` holds `key` right now."""
    statement = (
        select(Entitlement.id)
        .where(Entitlement.user_id == user_id, Entitlement.key == key, _active_at(now or utcnow()))
        .limit(1)
    )
    return (await session.exec(statement)).first() is not None


async def has_all(
    session: AsyncSession, user_id: int, keys: Sequence[str], *, now: datetime | None = None
) -> bool:
    """Whether `user_id` holds every one of `keys` right now."""
    held = {e.key for e in await list_active(session, user_id, now=now)}
    return set(keys) <= held


async def list_active(
    session: AsyncSession, user_id: int, *, now: datetime | None = None
) -> list[ActiveEntitlement]:
    """The keys `user_id` holds now, each with its end (the last of back-to-back periods)."""
    now = now or utcnow()
    statement = (
        select(Entitlement)
        .where(
            Entitlement.user_id == user_id,
            col(Entitlement.revoked_at).is_(None),
            or_(col(Entitlement.expires_at).is_(None), col(Entitlement.expires_at) > now),
        )
        .order_by(col(Entitlement.key), col(Entitlement.starts_at))
    )
    rows = (await session.exec(statement)).all()
    active: list[ActiveEntitlement] = []
    for key in dict.fromkeys(row.key for row in rows):
        periods = [row for row in rows if row.key == key]
        if not any(row.starts_at <= now for row in periods):
            continue
        forever = any(row.expires_at is None for row in periods)
        end = None if forever else max(row.expires_at for row in periods if row.expires_at)
        charges = tuple(row.telegram_payment_charge_id for row in periods)
        active.append(ActiveEntitlement(key=key, expires_at=end, charge_ids=charges))
    return active
