"""The entitlements API; see the package docstring."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Entitlement, utcnow
from storage.repositories import insert_many_ignoring_conflict


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


@dataclass(frozen=True)
class Grant:
    """What one payment gives: `keys` to `user_id`, forever, each for `duration` (queued after
    the user's current period of the key), or each until `until`.

    `until` is for a period whose end someone else's calendar fixes, such as a Stars
    subscription's: it runs from the grant to that date, beside any other period of the key
    rather than after it, so that no refund of another period moves it.
    """

    user_id: int
    charge_id: str
    keys: tuple[str, ...]
    duration: timedelta | None = None
    until: datetime | None = None


async def _current_ends(
    session: AsyncSession, pairs: set[tuple[int, str]], now: datetime
) -> dict[tuple[int, str], datetime]:
    """Where a new timed grant of each (user, key) starts: its latest unrevoked end still
    ahead, for the pairs that have one."""
    if not pairs:
        return {}
    statement = (
        select(Entitlement.user_id, Entitlement.key, func.max(Entitlement.expires_at))
        .where(
            col(Entitlement.user_id).in_({user for user, _ in pairs}),
            col(Entitlement.key).in_({key for _, key in pairs}),
            col(Entitlement.revoked_at).is_(None),
            col(Entitlement.expires_at) > now,
        )
        .group_by(col(Entitlement.user_id), col(Entitlement.key))
    )
    rows = (await session.exec(statement)).all()
    return {(user, key): end for user, key, end in rows if (user, key) in pairs and end}


@dataclass(frozen=True)
class GrantedKey:
    """One key a charge gave: from `starts_at` until `expires_at` (None: forever)."""

    key: str
    starts_at: datetime
    expires_at: datetime | None


async def grant_many(
    session: AsyncSession, grants: Sequence[Grant], *, now: datetime | None = None
) -> list[list[GrantedKey]]:
    """Grant each of `grants`, in order, exactly as `grant_for_charge` would one after another
    (a timed key granted twice runs back to back), in a few statements whatever their number.

    Returns, for each grant, the keys its charge holds afterwards. A charge that was granted
    before keeps what it had.
    """
    now = now or utcnow()
    timed = {(g.user_id, key) for g in grants if g.duration is not None for key in g.keys}
    ends = await _current_ends(session, timed, now)
    planned: list[list[GrantedKey]] = []
    rows: list[dict[str, Any]] = []
    for grant in grants:
        keys = []
        for key in dict.fromkeys(grant.keys):
            starts_at, expires_at = now, None
            if grant.until is not None:
                # A date already past (a payment found late) gives a period already over.
                starts_at, expires_at = min(now, grant.until), grant.until
                pair = (grant.user_id, key)
                if pair in ends:  # a timed grant later in this batch queues after it
                    ends[pair] = max(ends[pair], grant.until)
                elif pair in timed and grant.until > now:
                    ends[pair] = grant.until
            elif grant.duration is not None:
                starts_at = max(now, ends.get((grant.user_id, key), now))
                expires_at = ends[(grant.user_id, key)] = starts_at + grant.duration
            keys.append(GrantedKey(key, starts_at, expires_at))
            rows.append(
                {
                    "user_id": grant.user_id,
                    "key": key,
                    "telegram_payment_charge_id": grant.charge_id,
                    "starts_at": starts_at,
                    "expires_at": expires_at,
                    "granted_at": now,
                }
            )
        planned.append(keys)
    table = Entitlement.__table__  # type: ignore[attr-defined]
    added = await insert_many_ignoring_conflict(session, table, rows, table.c.id)
    if len(added) == len(rows):
        return planned
    # Some charges held these keys already: answer with what is stored.
    charges = [grant.charge_id for grant in grants]
    statement = select(Entitlement).where(col(Entitlement.telegram_payment_charge_id).in_(charges))
    stored: dict[str, list[GrantedKey]] = {}
    for row in (await session.exec(statement)).all():
        held = GrantedKey(row.key, row.starts_at, row.expires_at)
        stored.setdefault(row.telegram_payment_charge_id, []).append(held)
    return [stored.get(grant.charge_id, []) for grant in grants]


async def grant_for_charge(
    session: AsyncSession,
    *,
    user_id: int,
    charge_id: str,
    keys: Iterable[str],
    duration: timedelta | None = None,
    now: datetime | None = None,
) -> list[GrantedKey]:
    """Grant `keys` to `user_id` for the payment `charge_id`.

    With `duration`, each key runs for that long from its current end (so buying a timed product
    again extends it), or from `now` when the user holds none. Granting the same charge again
    changes nothing. Returns the keys this charge holds afterwards.
    """
    grant = Grant(user_id=user_id, charge_id=charge_id, keys=tuple(keys), duration=duration)
    return (await grant_many(session, [grant], now=now))[0]


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
    held = await held_keys(session, [user_id], keys, now=now)
    return set(keys) <= held.get(user_id, set())


async def held_keys(
    session: AsyncSession,
    user_ids: Iterable[int],
    keys: Iterable[str],
    *,
    now: datetime | None = None,
) -> dict[int, set[str]]:
    """Which of `keys` each of `user_ids` holds right now (users holding none are left out)."""
    users, wanted = set(user_ids), set(keys)
    if not users or not wanted:
        return {}
    statement = (
        select(Entitlement.user_id, Entitlement.key)
        .where(
            col(Entitlement.user_id).in_(users),
            col(Entitlement.key).in_(wanted),
            _active_at(now or utcnow()),
        )
        .distinct()
    )
    held: dict[int, set[str]] = {}
    for user_id, key in (await session.exec(statement)).all():
        held.setdefault(user_id, set()).add(key)
    return held


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


async def count_holders(
    session: AsyncSession, keys: Sequence[str], *, now: datetime | None = None
) -> int:
    """How many users hold every one of `keys` right now."""
    wanted = set(keys)
    if not wanted:
        return 0
    holders = (
        select(Entitlement.user_id)
        .where(col(Entitlement.key).in_(wanted), _active_at(now or utcnow()))
        .group_by(col(Entitlement.user_id))
        .having(func.count(func.distinct(Entitlement.key)) == len(wanted))
    )
    statement = select(func.count()).select_from(holders.subquery())
    return int((await session.exec(statement)).one())
