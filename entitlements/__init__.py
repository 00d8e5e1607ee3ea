"""What users own: grant, revoke, check and list entitlements.

An entitlement is a key (such as "gold") that one payment (its telegram_payment_charge_id) gave
one user, forever or until an expiry. Every function takes the caller's `AsyncSession` and does
not commit: the caller grants in the same transaction as the payment it records, and commits
once. Expiry needs no scheduler: an entitlement past its end is simply not active.

Timed grants of one key queue back to back: a second purchase starts where the first ends.
Revoking one (a refund) ends it and moves the periods queued after it earlier by the time it
had left, so the user keeps, from now, exactly the time the unrevoked payments bought. A period
whose end is fixed elsewhere (a Stars subscription's: `Grant.until`) runs beside the others
instead, from its grant to that date, and no refund of another period moves it.

    async with sessions() as session:
        await grant_for_charge(session, user_id=7, charge_id="stx1", keys=["pro"],
                               duration=timedelta(days=30))
        await session.commit()
        assert await has(session, 7, "pro")

`grant_many` grants for many payments in a few statements (the payment writer's batches), with
the same result as granting them one after another.

This package imports neither aiogram nor `bot`: any code in the process may call it.
"""

from entitlements.service import (
    ActiveEntitlement,
    Grant,
    GrantedKey,
    count_holders,
    grant_for_charge,
    grant_many,
    has,
    has_all,
    held_keys,
    list_active,
    revoke_for_charge,
)

__all__ = [
    "ActiveEntitlement",
    "Grant",
    "GrantedKey",
    "count_holders",
    "grant_for_charge",
    "grant_many",
    "has",
    "has_all",
    "held_keys",
    "list_active",
    "revoke_for_charge",
]
