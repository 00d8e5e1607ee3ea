"""Files and text a key delivers: sent when a buyer starts holding the key, uploaded once and
then sent by file_id, sent again on request while the key is held, and never after."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot import texts
from emulator import BotAPIEmulator, User
from storage import Entitlement, OutboxMessage, utcnow
from tests.helpers import ADMIN_ID, RunningBot, buy, eventually, say, wait_handled
from tests.subscribing import buttons, renew, subscribe

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")
GUIDE_TEXT = "Thank you! Start with chapter 2 <of 9>."
CATALOG = """
[keys.guide]
files = ["content/guide.pdf", "content/presets.zip"]
text = "Thank you! Start with chapter 2 <of 9>."

[keys.course]
files = ["content/course.pdf"]

[keys.digest]
text = "This month's digest is pinned in the channel."

[[product]]
id = "guide"
title = "The guide"
description = "A guide and its presets."
price = 30
kind = "one_time"
grants = ["guide"]

[[product]]
id = "course"
title = "Course, 30 days"
description = "The course notes."
price = 40
kind = "timed"
duration_days = 30
grants = ["course"]

[[product]]
id = "digest"
title = "Monthly digest"
description = "A digest every month."
price = 50
kind = "subscription"
grants = ["digest"]
"""


def write_catalog(folder: Path) -> Path:
    content = folder / "content"
    content.mkdir()
    (content / "guide.pdf").write_bytes(b"%PDF-1.4 the guide\n" * 100)
    (content / "presets.zip").write_bytes(b"PK presets" * 50)
    (content / "course.pdf").write_bytes(b"%PDF-1.4 the course\n" * 10)
    path = folder / "catalog.toml"
    path.write_text(CATALOG, encoding="utf-8")
    return path


def documents(emu: BotAPIEmulator, user: User) -> list[dict[str, Any]]:
    return [m for m in emu.sent_messages(user.id) if "document" in m]


def texts_with(emu: BotAPIEmulator, user: User, text: str) -> list[dict[str, Any]]:
    return [m for m in emu.sent_messages(user.id) if text in m.get("text", "")]


async def documents_reach(emu: BotAPIEmulator, user: User, count: int) -> list[dict[str, Any]]:
    """Until `user` has received `count` documents; then all they received."""

    async def enough() -> list[dict[str, Any]] | None:
        sent = documents(emu, user)
        return sent if len(sent) >= count else None

    sent = await eventually(enough)
    assert len(sent) == count, [d["document"]["file_name"] for d in sent]
    return sent


async def texts_reach(emu: BotAPIEmulator, user: User, text: str, count: int) -> None:
    """Until `user` has received `count` messages containing `text`."""

    async def enough() -> bool:
        return len(texts_with(emu, user, text)) >= count

    await eventually(enough)
    assert len(texts_with(emu, user, text)) == count


async def outbox_settled(shop: RunningBot) -> None:
    """Until every message owed has been sent or given up."""

    async def settled() -> bool:
        async with shop.sessions() as session:
            statement = select(OutboxMessage.id).where(
                col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None)
            )
            return (await session.exec(statement)).first() is None

    await eventually(settled)


def sent_by_file_id(emu: BotAPIEmulator, since: int) -> list[str]:
    return [
        r.params["document"]
        for r in emu.requests[since:]
        if r.method == "sendDocument"
        and isinstance(r.params["document"], str)
        and not r.params["document"].startswith("attach://")  # an upload's part
    ]


@pytest.mark.slow
async def test_a_file_is_uploaded_once_then_sent_by_file_id(emulator, start_bot, tmp_path):
    catalog = write_catalog(tmp_path)
    shop = await start_bot(catalog_path=catalog)
    ann = emulator.user("Ann")
    await buy(emulator, ann, "guide")
    guide, presets = await documents_reach(emulator, ann, 2)
    # The confirmation, then the key's text as a message of its own, then each file.
    sent = emulator.sent_messages(ann.id)
    [text] = texts_with(emulator, ann, GUIDE_TEXT)
    order = [m["message_id"] for m in sent]
    assert "Thank you" in sent[order.index(text["message_id"]) - 1]["text"]
    assert order.index(text["message_id"]) < order.index(guide["message_id"])
    assert guide["document"]["file_name"] == "guide.pdf"
    assert presets["document"]["file_name"] == "presets.zip"
    assert all(m.get("has_protected_content") for m in (text, guide, presets))
    assert [u.filename for u in emulator.uploads] == ["guide.pdf", "presets.zip"]

    # A second buyer gets the same files by file_id: nothing is uploaded again.
    bob = emulator.user("Bob")
    since = emulator.mark()
    await buy(emulator, bob, "guide")
    await documents_reach(emulator, bob, 2)
    file_ids = [guide["document"]["file_id"], presets["document"]["file_id"]]
    assert sent_by_file_id(emulator, since) == file_ids
    assert len(emulator.uploads) == 2

    # Telegram no longer knows the file_ids: refused, forgotten, uploaded again at once.
    emulator.forget_file_ids()
    cleo = emulator.user("Cleo")
    await buy(emulator, cleo, "guide")
    await documents_reach(emulator, cleo, 2)
    assert [u.filename for u in emulator.uploads[2:]] == ["guide.pdf", "presets.zip"]

    # A changed file is uploaded again; the unchanged one still goes by its file_id.
    (tmp_path / "content" / "presets.zip").write_bytes(b"PK presets, second edition" * 40)
    dan = emulator.user("Dan")
    await buy(emulator, dan, "guide")
    await documents_reach(emulator, dan, 2)
    assert [u.filename for u in emulator.uploads[4:]] == ["presets.zip"]

    # The file_ids are in the database: a restarted bot uploads nothing.
    await shop.stop()
    shop = await start_bot(catalog_path=catalog)
    eve = emulator.user("Eve")
    await buy(emulator, eve, "guide")
    await documents_reach(emulator, eve, 2)
    assert len(emulator.uploads) == 5

    # A file gone from disk: given up with a reason; the text and the other file still go.
    (tmp_path / "content" / "guide.pdf").unlink()
    fay = emulator.user("Fay")
    await buy(emulator, fay, "guide")
    [only] = await documents_reach(emulator, fay, 1)
    assert only["document"]["file_name"] == "presets.zip"
    assert texts_with(emulator, fay, GUIDE_TEXT)
    await outbox_settled(shop)
    async with shop.sessions() as session:
        statement = select(OutboxMessage).where(col(OutboxMessage.failed_at).is_not(None))
        [failed] = (await session.exec(statement)).all()
    assert failed.chat_id == fay.id and "guide.pdf" in (failed.last_error or "")


async def resend_button(emu: BotAPIEmulator, user: User) -> tuple[dict[str, Any], str]:
    listing = await say(emu, user, "/mypurchases")
    [button] = [b for b in buttons(listing) if "Send my files again" in b["text"]]
    return listing, button["callback_data"]


async def press(
    emu: BotAPIEmulator, shop: RunningBot, user: User, message: dict[str, Any], data: str
) -> dict[str, Any]:
    """The user presses the button; returns the answer, once the press is handled."""
    update_id = emu.press_button(user, message, data, check=False)
    await wait_handled(shop, update_id)
    answers = [r.params for r in emu.calls("answerCallbackQuery")]
    return answers[-1]


@pytest.mark.slow
async def test_send_my_files_again_works_while_the_key_is_held_and_never_after(
    emulator, start_bot, tmp_path
):
    # No flood limit: the test presses faster than a person could.
    shop = await start_bot(catalog_path=write_catalog(tmp_path), flood_limit=0)
    ann = emulator.user("Ann")
    paid = await buy(emulator, ann, "guide")
    await documents_reach(emulator, ann, 2)
    listing, data = await resend_button(emulator, ann)

    answer = await press(emulator, shop, ann, listing, data)
    assert not answer.get("show_alert")
    await documents_reach(emulator, ann, 4)
    await texts_reach(emulator, ann, GUIDE_TEXT, 2)

    # Once a minute per key: a second press at once sends nothing.
    answer = await press(emulator, shop, ann, listing, data)
    assert answer["show_alert"] and "less than a minute" in answer["text"]
    # A minute later it works again.
    async with shop.sessions() as session:
        earlier = utcnow() - timedelta(minutes=2)
        resent = col(OutboxMessage.dedupe_key).startswith(f"resend:{ann.id}:")
        await session.exec(update(OutboxMessage).where(resent).values(created_at=earlier))
        await session.commit()
    answer = await press(emulator, shop, ann, listing, data)
    assert not answer.get("show_alert")
    await documents_reach(emulator, ann, 6)

    # Someone who never bought it, pressing a forged button: a polite alert, nothing sent.
    bob = emulator.user("Bob")
    mine = await say(emulator, bob, "/mypurchases")
    answer = await press(emulator, shop, bob, mine, data)
    assert answer["show_alert"] and "has ended" in answer["text"]

    # Forged under the bot's line in a group: the private-chat alert, nothing sent.
    group = emulator.group("Readers")
    since = emulator.mark()
    emulator.send_text(ann, "/mypurchases", chat=group)
    line = await emulator.wait_for_message(group.id, since=since)
    answer = await press(emulator, shop, ann, line, data)
    assert answer["show_alert"] and answer["text"] == texts.private_chat_only_button()

    # Refunded: the old button sends nothing any more.
    refunded = emulator.refund_outside_bot(paid.charge_id)
    assert refunded is not None
    await wait_handled(shop, refunded)
    async with shop.sessions() as session:
        earlier = utcnow() - timedelta(minutes=2)
        await session.exec(update(OutboxMessage).values(created_at=earlier))
        await session.commit()
    answer = await press(emulator, shop, ann, listing, data)
    assert answer["show_alert"] and "has ended" in answer["text"]
    await outbox_settled(shop)
    assert len(documents(emulator, ann)) == 6 and documents(emulator, bob) == []
    listing = await say(emulator, ann, "/mypurchases")
    assert not any("Send my files again" in b["text"] for b in buttons(listing))


async def end_key(shop: RunningBot, key: str) -> None:
    """As if time had passed: every period of `key` ended a second ago."""
    async with shop.sessions() as session:
        ended = utcnow() - timedelta(seconds=1)
        statement = update(Entitlement).where(col(Entitlement.key) == key)
        await session.exec(statement.values(expires_at=ended))
        await session.commit()


async def test_a_renewal_or_an_extension_sends_nothing_again(emulator, start_bot, tmp_path):
    shop = await start_bot(catalog_path=write_catalog(tmp_path))
    ann = emulator.user("Ann")
    await buy(emulator, ann, "course")
    await documents_reach(emulator, ann, 1)
    # Bought again while held: the period is extended, nothing is sent again.
    await buy(emulator, ann, "course")
    await outbox_settled(shop)
    assert len(documents(emulator, ann)) == 1
    # A subscription's first payment sends its text; its renewal does not, even one that
    # arrives a moment after the period it continues has ended.
    first = await subscribe(emulator, ann, "digest")
    assert first.charge_id is not None
    await texts_reach(emulator, ann, "digest is pinned", 1)
    await end_key(shop, "digest")
    await renew(emulator, shop, first.charge_id)
    await outbox_settled(shop)
    assert len(documents(emulator, ann)) == 1
    assert len(texts_with(emulator, ann, "digest is pinned")) == 1

    # Once the course has ended, buying it again is a new key: the files come again.
    await end_key(shop, "course")
    await buy(emulator, ann, "course")
    await documents_reach(emulator, ann, 2)

    # An admin's /grant of a key with files sends them, once per command.
    bob = emulator.user("Bob")
    reply = await say(emulator, ADMIN, f"/grant {bob.id} guide")
    assert "granted" in reply["text"].lower(), reply["text"]
    await documents_reach(emulator, bob, 2)
    assert texts_with(emulator, bob, GUIDE_TEXT)
