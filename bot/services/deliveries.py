"""What a key delivers: its text and files, sent to a buyer through the outbox.

A buyer who starts holding a key with `files` or `text` (a new key, bought or given by an
admin) is owed its text, then each file, queued in the transaction that grants it, after the
confirmation. A renewal, or a purchase that extends a key the buyer holds, owes nothing again.
The dedupe keys name the charge, so a payment handled twice queues nothing twice.

"Send my files again" (under /mypurchases) queues them once more, for a buyer who holds the key
at that moment only, at most once a minute per buyer and key. A file already sent cannot be
taken back: a refund ends the key, not the copies Telegram holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from loguru import logger
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.catalog import Catalog, KeyContent
from entitlements import Grant, has, held_keys
from storage import OutboxPriority, OutboxRepository, Writer, utcnow
from storage.locks import buyer_lock, hold_advisory_locks
from storage.repositories import Row, outbox_row

RESEND_INTERVAL = timedelta(minutes=1)


def key_messages(
    content: KeyContent,
    user_id: int,
    *,
    dedupe_prefix: str,
    priority: OutboxPriority,
    now: datetime,
) -> list[Row]:
    """The outbox rows that deliver `content` to `user_id`: its text, then each file, every
    one protected from forwarding. The text is a message of its own, never a caption (a caption
    takes 1024 UTF-16 units, a message 4096)."""
    rows = []
    if content.text:
        rows.append(
            outbox_row(
                user_id,
                texts.key_text(content.text),
                priority=priority,
                dedupe_key=f"{dedupe_prefix}:text",
                now=now,
                protect_content=True,
            )
        )
    for index, path in enumerate(content.files):
        rows.append(
            outbox_row(
                user_id,
                "",
                priority=priority,
                dedupe_key=f"{dedupe_prefix}:file:{index}",
                now=now,
                document=str(path),
                protect_content=True,
            )
        )
    return rows


class NewKeys:
    """Which keys of a batch of grants their buyers start holding, read before the grants.

    A key held already (a renewal, an extension, a second purchase) delivers nothing again, nor
    does the second of two grants of one key in the same batch."""

    def __init__(self, catalog: Catalog, held: set[tuple[int, str]]) -> None:
        self._catalog = catalog
        self._held = held

    @classmethod
    async def before(
        cls, session: AsyncSession, catalog: Catalog, grants: Sequence[Grant]
    ) -> NewKeys:
        """What the buyers of `grants` hold now of the keys that deliver something; call it in
        the granting transaction, before the grants."""
        delivering = {key for g in grants for key in g.keys if _delivers(catalog, key)}
        held = await held_keys(session, {g.user_id for g in grants}, delivering)
        return cls(catalog, {(user, key) for user, keys in held.items() for key in keys})

    def owed(self, grant: Grant, *, now: datetime) -> list[Row]:
        """The messages that deliver the keys `grant` newly gives, after its confirmation."""
        rows: list[Row] = []
        for key in dict.fromkeys(grant.keys):
            content = self._catalog.unlocks(key)
            if content is None or not content.delivers or (grant.user_id, key) in self._held:
                continue
            self._held.add((grant.user_id, key))
            prefix = f"deliver:{grant.charge_id}:{key}"
            rows += key_messages(
                content,
                grant.user_id,
                dedupe_prefix=prefix,
                priority=OutboxPriority.PAYMENT_NOTICE,
                now=now,
            )
        return rows


def _delivers(catalog: Catalog, key: str) -> bool:
    content = catalog.unlocks(key)
    return content is not None and content.delivers


class Resend(StrEnum):
    QUEUED = "queued"
    TOO_SOON = "too_soon"  # sent again less than RESEND_INTERVAL ago
    NOT_HELD = "not_held"  # the key ended (or never was theirs): nothing is sent
    NOTHING = "nothing"  # the key has no files (the catalog changed)


class Deliveries:
    """Sends a key's files (and text) again, on the buyer's request."""

    def __init__(self, writer: Writer, catalog: Catalog) -> None:
        self.writer = writer
        self.catalog = catalog

    def files_of(self, keys: Sequence[str]) -> list[str]:
        """Those of `keys` that have files to send again, in order."""
        return [k for k in dict.fromkeys(keys) if (c := self.catalog.unlocks(k)) and c.files]

    async def send_again(self, user_id: int, key: str) -> Resend:
        """Queue `key`'s text and files for `user_id` if they hold it now, at most once per
        RESEND_INTERVAL; in one transaction, taking turns with the buyer's other changes."""
        content = self.catalog.unlocks(key)
        if content is None or not content.files:
            return Resend.NOTHING

        async def work(session: AsyncSession) -> Resend:
            await hold_advisory_locks(session, [buyer_lock(user_id)])
            now = utcnow()
            if not await has(session, user_id, key, now=now):
                return Resend.NOT_HELD
            outbox = OutboxRepository(session)
            prefix = f"resend:{user_id}:{key}:"
            if await outbox.queued_since(prefix, now - RESEND_INTERVAL):
                return Resend.TOO_SOON
            rows = key_messages(
                content,
                user_id,
                dedupe_prefix=prefix + now.isoformat(),
                priority=OutboxPriority.REPLY,
                now=now,
            )
            await outbox.queue_many(rows)
            return Resend.QUEUED

        outcome = await self.writer.write(work)
        logger.info("files of key {} for user {}: {}", key, user_id, outcome)
        return outcome
