"""Goodwill: an admin gives a user a product without a payment (`/grant`), or takes it back
(`/revoke`).

Each grant is an audit event (`goodwill_grant`, with the admin's id, the product and the days)
named by the command that asked for it: the entitlements it gives hang on the charge-like id
`grant:<chat_id>:<message_id>` of the admin's /grant message. Such an id is never a payment's,
so a grant is never revenue, never in an export, and `/refund` does not know it. Revoking ends
only goodwill grants; access bought with a payment ends by a refund.

Both are idempotent per command: an update handled again (a crash after the commit and before
the inbox row was marked done, or a standby taking over) finds what its first run did and
answers the same, without giving the days twice or revoking a grant made since. Message ids
never repeat within a chat; update ids may, after Telegram restarts them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.catalog import Catalog, Product, ProductKind
from bot.outcomes import GoodwillEvent, GrantResult, GrantStatus, RevokeResult
from bot.services.access import RemovalReason, owe_removals_after_revoke
from bot.services.deliveries import NewKeys
from bot.services.languages import UserLanguages
from entitlements import Grant, grant_for_charge, list_active, revoke_for_charge
from storage import AuditEvent, OutboxRepository, Writer, utcnow
from storage.reports import audit_events_of

GRANT_KIND = "goodwill_grant"
REVOKE_KIND = "goodwill_revoke"
CHARGE_PREFIX = "grant:"
MAX_DAYS = 3650


def command_key(chat_id: int, message_id: int) -> str:
    """What names an admin's command for good: its chat and its message id there."""
    return f"{chat_id}:{message_id}"


def is_goodwill(charge_id: str) -> bool:
    """Whether an entitlement's charge id names a goodwill grant rather than a payment."""
    return charge_id.startswith(CHARGE_PREFIX)


@dataclass(frozen=True)
class GrantCommand:
    user_id: int
    product_id: str
    days: int | None = None


def parse_grant_args(args: str | None) -> GrantCommand | None:
    """`/grant <user_id> <product_id> [days]`, days from 1 to MAX_DAYS; None if malformed."""
    parts = (args or "").split()
    if len(parts) not in (2, 3) or not parts[0].isdigit():
        return None
    days = None
    if len(parts) == 3:
        if not parts[2].isdigit() or not 1 <= int(parts[2]) <= MAX_DAYS:
            return None
        days = int(parts[2])
    return GrantCommand(int(parts[0]), parts[1], days)


def parse_revoke_args(args: str | None) -> GrantCommand | None:
    """`/revoke <user_id> <product_id>`; None if malformed."""
    parts = (args or "").split()
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    return GrantCommand(int(parts[0]), parts[1])


def goodwill_term(product: Product, days: int | None) -> timedelta | None:
    """How long a grant runs: `days` if given, else a timed product's own duration, else
    forever (one-time products)."""
    if days is not None:
        return timedelta(days=days)
    return product.duration if product.kind is ProductKind.TIMED else None


class Goodwill:
    """Gives access without a payment, and takes such access back, on an admin's word."""

    def __init__(
        self, writer: Writer, catalog: Catalog | None = None, *, languages: UserLanguages
    ) -> None:
        self.writer = writer
        self.languages = languages  # what a grant delivers is in the user's language
        # What the keys unlock: files and a text to deliver on a grant, private chats to
        # remove the member from on a revocation.
        self.catalog = catalog or Catalog([])

    async def grant(
        self, product: Product, user_id: int, days: int | None, *, admin_id: int, command: str
    ) -> GrantResult:
        """Give `user_id` what `product` gives, without a payment, on the admin's record, once
        per `command` (`command_key`): asked again, the same grant as it stands."""
        if days is None and product.kind is ProductKind.SUBSCRIPTION:
            return GrantResult(GrantStatus.NEEDS_DAYS)
        term = goodwill_term(product, days)
        charge_id = f"{CHARGE_PREFIX}{command}"

        async def work(session: AsyncSession) -> GrantResult:
            earlier = await audit_events_of(session, user_id, [GRANT_KIND])
            if all(e.telegram_payment_charge_id != charge_id for e in earlier):
                event = _event(GRANT_KIND, admin_id, user_id, product, "granted", days=days)
                event.telegram_payment_charge_id = charge_id
                session.add(event)
            # Granting one charge again changes nothing (the entitlements' unique constraint).
            grant = Grant(user_id, charge_id, product.grants, term)
            new_keys = await NewKeys.before(session, self.catalog, [grant])
            granted = await grant_for_charge(
                session, user_id=user_id, charge_id=charge_id, keys=product.grants, duration=term
            )
            owed = partial(new_keys.owed, grant, now=utcnow())
            rows = await self.languages.in_language_of(session, user_id, owed)
            await OutboxRepository(session).queue_many(rows)
            return GrantResult(GrantStatus.GRANTED, charge_id, tuple(granted))

        result = await self.writer.write(work)
        logger.info(
            "goodwill grant {} user={} product={} days={} admin={}",
            result.charge_id,
            user_id,
            product.id,
            days,
            admin_id,
        )
        return result

    async def revoke(
        self, product: Product, user_id: int, *, admin_id: int, command: str
    ) -> RevokeResult:
        """End every goodwill grant of `product` that `user_id` still has; recorded with the
        admin's id and `command` (`command_key`) when there was one to end. Asked again, the
        same `command` ends nothing more (not a grant made since) and names what it ended."""

        async def work(session: AsyncSession) -> RevokeResult:
            now, keys = utcnow(), set(product.grants)
            held = await list_active(session, user_id, now=now)
            running = {c for a in held if a.key in keys for c in a.charge_ids}
            paid = tuple(sorted(c for c in running if not is_goodwill(c)))
            events = await audit_events_of(session, user_id, [GRANT_KIND, REVOKE_KIND])
            done = [_raw(e) for e in events if e.kind == REVOKE_KIND]
            for raw in done:
                if raw.get("command") == command:
                    return RevokeResult(tuple(str(c) for c in raw.get("grants", [])), paid)
            granted = [
                event.telegram_payment_charge_id
                for event in events
                if event.kind == GRANT_KIND
                and _raw(event).get("product_id") == product.id
                and event.telegram_payment_charge_id in running  # not expired, not revoked
            ]
            revoked = tuple(
                [c for c in granted if c and await revoke_for_charge(session, c, now=now)]
            )
            if revoked:
                reason = RemovalReason.REVOKED
                await owe_removals_after_revoke(session, self.catalog, user_id, reason, now)
            if revoked:
                details = {"grants": list(revoked), "command": command}
                session.add(_event(REVOKE_KIND, admin_id, user_id, product, "revoked", **details))
            return RevokeResult(revoked, paid)

        result = await self.writer.write(work)
        logger.info(
            "goodwill revoke user={} product={} revoked={} admin={}",
            user_id,
            product.id,
            list(result.revoked),
            admin_id,
        )
        return result


async def goodwill_history(session: AsyncSession, user_id: int) -> list[GoodwillEvent]:
    """The goodwill grants and revocations of `user_id`, oldest first."""
    events = await audit_events_of(session, user_id, [GRANT_KIND, REVOKE_KIND])
    history = []
    for event in events:
        raw = _raw(event)
        granted = event.kind == GRANT_KIND
        charges = [event.telegram_payment_charge_id] if granted else raw.get("grants", [])
        history.append(
            GoodwillEvent(
                granted=granted,
                product_id=str(raw.get("product_id", "?")),
                days=raw.get("days"),
                admin_id=raw.get("admin_id"),
                at=event.created_at,
                charge_ids=tuple(str(c) for c in charges if c),
            )
        )
    return history


def _event(
    kind: str, admin_id: int, user_id: int, product: Product, decision: str, **details: Any
) -> AuditEvent:
    """An admin's goodwill grant or revocation, with what it was about in its raw JSON."""
    raw = {"admin_id": admin_id, "user_id": user_id, "product_id": product.id, **details}
    return AuditEvent(
        kind=kind,
        user_id=user_id,
        decision=decision,
        reason=f"by admin {admin_id}",
        raw=json.dumps(raw),
        created_at=utcnow(),
    )


def _raw(event: AuditEvent) -> dict[str, Any]:
    try:
        raw = json.loads(event.raw)
    except ValueError:
        return {}
    return raw if isinstance(raw, dict) else {}
