"""The pre-checkout decision gives the database a time budget, then refuses as temporary."""

from __future__ import annotations

import sqlite3

from bot.catalog import load_catalog
from bot.config import DEFAULT_CATALOG
from bot.outcomes import Refusal
from bot.services.checkout import Checkout, PreCheckout
from bot.services.offers import PayloadSigner
from bot.services.ownership import OwnershipLookup
from storage import Writer, create_engine, create_session_factory, upgrade_schema


async def test_database_locked_even_for_readers_refuses_as_temporary(db_path, database_url):
    await upgrade_schema(database_url)
    # A program that takes the whole file (exclusive locking mode): readers must wait too.
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE sync_state SET value = value")
    readers = create_engine(database_url, read_only=True)
    try:
        signer = PayloadSigner("1:secret")
        query = PreCheckout(
            user_id=7, currency="XTR", total_amount=25, invoice_payload=signer.encode("gold", 25)
        )
        catalog = load_catalog(DEFAULT_CATALOG)
        sessions = create_session_factory(readers)
        lookup = OwnershipLookup(sessions)
        # The decision writes nothing: its writer is never started.
        checkout = Checkout(Writer(sessions), lookup, catalog, signer, db_budget=0.3)
        check = await checkout.decide(query)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await readers.dispose()
    assert check.refusal is Refusal.TEMPORARY
    assert check.error_message is not None and "try again" in check.error_message
