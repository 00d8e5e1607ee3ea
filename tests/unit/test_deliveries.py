"""What a key delivers: the rows a new key owes, the rules of "Send my files again", the file
hashes the sender keys file_ids by, and the remembered file_ids."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.catalog import Catalog, KeyContent, Product, ProductKind
from bot.documents import FileHashes, MissingFile
from bot.services.deliveries import Deliveries, NewKeys, Resend
from bot.texts import key_text
from entitlements import Grant, grant_for_charge
from storage import OutboxMessage, utcnow
from storage.repositories import TelegramFileRepository


@pytest.fixture
def database_url(any_database_url: str) -> str:
    return any_database_url


def catalog_with(tmp_path: Path) -> Catalog:
    guide = tmp_path / "guide.pdf"
    guide.write_bytes(b"%PDF guide")
    products = [
        Product(
            id=name,
            title=name.title(),
            description="-",
            price=10,
            kind=ProductKind.ONE_TIME,
            grants=(name,),
        )
        for name in ("guide", "notes", "plain")
    ]
    keys = {
        "guide": KeyContent(name="guide", files=(guide,), text="Read <this> first"),
        "notes": KeyContent(name="notes", text="Notes are pinned."),
    }
    return Catalog(products, keys)


async def test_a_new_key_owes_its_text_then_its_files_once_per_buyer_and_batch(sessions, tmp_path):
    catalog = catalog_with(tmp_path)
    async with sessions() as session:
        await grant_for_charge(session, user_id=7, charge_id="old", keys=["notes"])
        grants = [
            Grant(7, "c1", ("guide", "notes", "plain")),  # notes: held already
            Grant(7, "c2", ("guide",)),  # the same key again in the batch: nothing more
            Grant(8, "c3", ("guide",)),
        ]
        new_keys = await NewKeys.before(session, catalog, grants)
    owed = [new_keys.owed(grant, now=utcnow()) for grant in grants]

    first, second, third = owed
    assert [(r["dedupe_key"], r["document"]) for r in first] == [
        ("deliver:c1:guide:text", None),
        ("deliver:c1:guide:file:0", str(tmp_path / "guide.pdf")),
    ]
    assert first[0]["text"] == "Read &lt;this&gt; first" == key_text("Read <this> first")
    assert all(row["protect_content"] and row["chat_id"] == 7 for row in first)
    assert second == []
    assert [r["chat_id"] for r in third] == [8, 8]


async def test_files_are_sent_again_only_to_a_holder_and_once_a_minute(sessions, writer, tmp_path):
    deliveries = Deliveries(writer, catalog_with(tmp_path))
    assert await deliveries.send_again(7, "guide") is Resend.NOT_HELD
    assert await deliveries.send_again(7, "notes") is Resend.NOTHING  # a text, but no files
    async with sessions() as session:
        await grant_for_charge(session, user_id=7, charge_id="c1", keys=["guide"])
        await session.commit()

    assert await deliveries.send_again(7, "guide") is Resend.QUEUED
    assert await deliveries.send_again(7, "guide") is Resend.TOO_SOON
    async with sessions() as session:
        statement = select(OutboxMessage).where(col(OutboxMessage.chat_id) == 7)
        rows = (await session.exec(statement)).all()
    assert [bool(r.document) for r in rows] == [False, True]
    assert all(r.protect_content for r in rows)


async def test_a_hash_is_kept_while_size_and_mtime_stay_and_a_gone_file_is_missing(tmp_path):
    path = tmp_path / "pack.zip"
    path.write_bytes(b"one")
    hashes = FileHashes()
    first = await hashes.sha256(str(path))
    stat = path.stat()
    path.write_bytes(b"two")  # same size; the same mtime put back: taken as unchanged
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert await hashes.sha256(str(path)) == first
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert await hashes.sha256(str(path)) != first
    path.unlink()
    with pytest.raises(MissingFile, match=r"pack\.zip"):
        await hashes.sha256(str(path))


async def test_a_remembered_file_id_is_replaced_and_forgotten_by_path_and_content(sessions):
    async with sessions() as session:
        files = TelegramFileRepository(session)
        await files.remember("/a.pdf", "h1", "id1")
        await files.remember("/a.pdf", "h1", "id2")  # uploaded again: the new id wins
        await files.remember("/a.pdf", "h2", "id3")
        await session.commit()
        assert await files.file_id("/a.pdf", "h1") == "id2"
        await files.forget("/a.pdf", "h1")
        await session.commit()
        assert await files.file_id("/a.pdf", "h1") is None
        assert await files.file_id("/a.pdf", "h2") == "id3"
