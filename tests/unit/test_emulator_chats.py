"""The emulator's groups and channels behave like Telegram's, seen through a real aiogram Bot:
members, invite links, join requests, bans, and the chat_member updates they make; and files
sent once are sent again by file_id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BufferedInputFile, ChatMemberAdministrator, FSInputFile, Update

from emulator import BotAPIEmulator, Group, User

TOKEN = "123456:TEST-token"
BOT_ID = 123456


def stranger(emu: BotAPIEmulator, first_name: str) -> User:
    """A user who never started the bot: the bot may not write to them."""
    return User(id=emu.telegram.chats.new_user_id() + 1000, first_name=first_name)


def assert_valid_update(emu: BotAPIEmulator, update: dict[str, Any]) -> Update:
    assert emu.spec.check_object("Update", update) == []
    return Update.model_validate(update)


def assert_correct_use(emu: BotAPIEmulator) -> None:
    """No violations, and every successful answer has the type the spec promises."""
    assert emu.violations == []
    for request in emu.requests:
        if request.ok:
            returns = emu.spec.methods[request.method].returns
            assert emu.spec.check_value(returns, request.result, request.method) == []


def pending(emu: BotAPIEmulator, kind: str) -> list[Update]:
    return [assert_valid_update(emu, u) for u in emu.pending_updates if kind in u]


async def test_members_are_the_chat_member_variant_of_their_status(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    owner, admin, alice = emu.user("Owner"), emu.user("Admin"), emu.user("Alice")
    muted = emu.user("Muted")
    channel = emu.channel("Paid channel")
    emu.add_member(channel, owner, "creator")
    emu.add_member(channel, admin, "administrator")
    emu.add_member(channel, alice)
    emu.add_member(channel, muted, "restricted")

    people = (owner, admin, muted)
    statuses = [(await bot.get_chat_member(channel.id, u.id)).status for u in people]
    alices = await bot.get_chat_member(channel.id, alice.id)
    mine = await bot.get_chat_member(channel.id, BOT_ID)
    admins = await bot.get_chat_administrators(channel.id)
    info = await bot.get_chat(channel.id)

    assert statuses == ["creator", "administrator", "restricted"] and alices.status == "member"
    assert mine.status == "administrator"
    assert mine.can_invite_users is True and mine.can_restrict_members is True  # type: ignore[union-attr]
    assert [a.user.id for a in admins] == [owner.id, admin.id, BOT_ID]
    assert (info.id, info.type, info.title) == (channel.id, "channel", "Paid channel")
    assert emu.member_status(channel, 42) == "left"
    with pytest.raises(TelegramBadRequest, match="user not found"):
        await bot.get_chat_member(channel.id, 42)
    assert_correct_use(emu)


async def test_a_join_request_approved_makes_a_member_through_the_link(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    group = emu.group("VIP", supergroup=True)
    bob = stranger(emu, "Bob")
    link = await bot.create_chat_invite_link(group.id, name="order 7", creates_join_request=True)

    emu.request_join(bob, group, link.invite_link)
    [update] = pending(emu, "chat_join_request")
    await bot.send_message(bob.id, "Payment confirmed, welcome!")  # within its 5 minutes
    assert await bot.approve_chat_join_request(group.id, bob.id) is True

    request = update.chat_join_request
    assert request is not None and request.user_chat_id == bob.id == request.from_user.id
    assert request.invite_link is not None and request.invite_link.name == "order 7"
    assert link.invite_link.startswith("https://t.me/+") and link.creator.id == BOT_ID
    assert (link.creates_join_request, link.is_primary, link.is_revoked) == (True, False, False)
    assert emu.invite_links(group) == [link.model_dump(exclude_none=True)]
    assert emu.member_status(group, bob.id) == "member"
    assert emu.join_request_state(group, bob.id) == "approved"
    [joined] = pending(emu, "chat_member")
    change = joined.chat_member
    assert change is not None and change.from_user.id == BOT_ID
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("left", "member")
    assert change.invite_link is not None and change.invite_link.invite_link == link.invite_link
    assert change.via_join_request is True
    # Once the request is answered, the bot may no longer write to someone who never started it.
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(bob.id, "one more thing")
    with pytest.raises(TelegramBadRequest, match="USER_ALREADY_PARTICIPANT"):
        await bot.approve_chat_join_request(group.id, bob.id)
    assert_correct_use(emu)


async def test_a_declined_request_is_gone_and_no_request_is_hide_requester_missing(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    channel = emu.channel()
    carol = emu.user("Carol")

    with pytest.raises(TelegramBadRequest, match="HIDE_REQUESTER_MISSING"):
        await bot.approve_chat_join_request(channel.id, carol.id)
    emu.request_join(carol, channel)
    assert emu.join_request_state(channel, carol.id) == "pending"
    assert await bot.decline_chat_join_request(channel.id, carol.id) is True

    assert emu.join_request_state(channel, carol.id) == "declined"
    assert emu.member_status(channel, carol.id) == "left"
    for answer in (bot.decline_chat_join_request, bot.approve_chat_join_request):
        with pytest.raises(TelegramBadRequest, match="HIDE_REQUESTER_MISSING"):
            await answer(channel.id, carol.id)
    assert pending(emu, "chat_member") == []
    assert_correct_use(emu)


async def test_links_and_join_requests_need_the_right_to_invite(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    group = emu.group("VIP", supergroup=True)
    dave = emu.user("Dave")

    with pytest.raises(TelegramBadRequest, match="member limit can't be specified for links"):
        await bot.create_chat_invite_link(group.id, member_limit=1, creates_join_request=True)
    emu.request_join(dave, group)
    emu.set_bot_rights(group, can_invite_users=False)
    with pytest.raises(TelegramBadRequest, match="not enough rights to manage chat invite link"):
        await bot.create_chat_invite_link(group.id, creates_join_request=True)
    with pytest.raises(TelegramBadRequest, match=r"Bad Request: not enough rights$"):
        await bot.approve_chat_join_request(group.id, dave.id)
    emu.set_bot_rights(group, admin=False)
    with pytest.raises(TelegramBadRequest, match="not enough rights to manage chat invite link"):
        await bot.create_chat_invite_link(group.id, member_limit=1)

    assert (await bot.get_chat_member(group.id, BOT_ID)).status == "member"
    assert emu.join_request_state(group, dave.id) == "pending"
    assert emu.violations == []


async def test_unban_removes_a_member_unless_only_if_banned(emu: BotAPIEmulator, bot: Bot) -> None:
    group = emu.group("VIP", supergroup=True)
    erin, frank, gina = emu.user("Erin"), emu.user("Frank"), emu.user("Gina")
    emu.add_member(group, erin)
    emu.add_member(group, frank)

    assert await bot.unban_chat_member(group.id, erin.id, only_if_banned=True) is True
    assert emu.member_status(group, erin.id) == "member"
    assert await bot.unban_chat_member(group.id, erin.id) is True
    assert await bot.ban_chat_member(group.id, frank.id) is True
    banned = await bot.get_chat_member(group.id, frank.id)
    banned_answer = emu.calls("getChatMember")[-1].result
    assert await bot.unban_chat_member(group.id, frank.id, only_if_banned=True) is True
    assert await bot.unban_chat_member(group.id, gina.id) is True

    assert banned.status == "kicked" and banned_answer["until_date"] == 0  # forever
    assert [emu.member_status(group, u.id) for u in (erin, frank, gina)] == ["left"] * 3
    changes = [u.chat_member for u in pending(emu, "chat_member")]
    assert [
        (c.new_chat_member.user.id, c.old_chat_member.status, c.new_chat_member.status)
        for c in changes
        if c is not None
    ] == [
        (erin.id, "member", "left"),
        (frank.id, "member", "kicked"),
        (frank.id, "kicked", "left"),
    ]
    assert all(c is not None and c.from_user.id == BOT_ID for c in changes)
    # Removed, not banned: Erin may ask to join again.
    emu.request_join(erin, group)
    assert_correct_use(emu)


@pytest.mark.parametrize("status", ["creator", "administrator"])
async def test_the_owner_and_administrators_cannot_be_removed(
    emu: BotAPIEmulator, bot: Bot, status: str
) -> None:
    channel = emu.channel()
    boss = emu.user("Boss")
    emu.add_member(channel, boss, status)
    refusal = "can't remove chat owner" if status == "creator" else "user is an administrator"

    with pytest.raises(TelegramBadRequest, match=refusal):
        await bot.ban_chat_member(channel.id, boss.id)
    with pytest.raises(TelegramBadRequest, match=refusal):
        await bot.unban_chat_member(channel.id, boss.id)

    assert emu.member_status(channel, boss.id) == status
    assert emu.violations == []


async def test_banning_needs_an_administrator_with_the_right_to_restrict(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    group = emu.group("VIP", supergroup=True)
    hank = emu.user("Hank")
    emu.add_member(group, hank)

    lesser: list[dict[str, Any]] = [{"can_restrict_members": False}, {"admin": False}]
    for rights in lesser:
        emu.set_bot_rights(group, **rights)
        for remove in (bot.ban_chat_member, bot.unban_chat_member):
            with pytest.raises(TelegramBadRequest, match="not enough rights to restrict/unrest"):
                await remove(group.id, hank.id)

    assert emu.member_status(group, hank.id) == "member"
    assert emu.violations == []


@pytest.mark.parametrize("kind", ["supergroup", "channel"])
async def test_a_bot_kicked_from_the_chat_is_forbidden_everything_there(
    emu: BotAPIEmulator, bot: Bot, kind: str
) -> None:
    chat = emu.channel() if kind == "channel" else emu.group(supergroup=True)
    owner, ivy = emu.user("Owner"), emu.user("Ivy")
    emu.add_member(chat, owner, "creator")
    emu.add_member(chat, ivy)

    emu.remove_bot(chat)

    refusal = f"Forbidden: bot was kicked from the {kind} chat"
    calls = [
        bot.send_message(chat.id, "hello"),
        bot.get_chat(chat.id),
        bot.get_chat_member(chat.id, ivy.id),
        bot.create_chat_invite_link(chat.id, creates_join_request=True),
        bot.approve_chat_join_request(chat.id, ivy.id),
        bot.ban_chat_member(chat.id, ivy.id),
        bot.unban_chat_member(chat.id, ivy.id),
    ]
    for refused in calls:
        with pytest.raises(TelegramForbiddenError, match=refusal):
            await refused
    [update] = pending(emu, "my_chat_member")
    assert update.my_chat_member is not None and update.my_chat_member.from_user.id == owner.id
    assert update.my_chat_member.new_chat_member.status == "kicked"
    assert emu.member_status(chat, ivy.id) == "member"
    assert emu.violations == []


async def test_a_deleted_chat_is_not_found(emu: BotAPIEmulator, bot: Bot) -> None:
    chat = emu.channel()
    jack = emu.user("Jack")
    emu.add_member(chat, jack)

    emu.delete_chat(chat)

    for refused in (
        bot.get_chat(chat.id),
        bot.send_message(chat.id, "hello"),
        bot.unban_chat_member(chat.id, jack.id),
        bot.create_chat_invite_link(chat.id),
    ):
        with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
            await refused
    assert emu.violations == []


async def test_a_bot_made_administrator_of_a_new_channel_hears_it_with_its_rights(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    owner = emu.user("Owner")
    channel = emu.channel("New channel", id=-1001234567890, bot_added=False)
    emu.add_member(channel, owner, "creator")
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the channel chat"):
        await bot.get_chat(channel.id)

    update_id = emu.set_bot_rights(channel, can_restrict_members=False, notify=True)

    [update] = pending(emu, "my_chat_member")
    change = update.my_chat_member
    assert update.update_id == update_id and change is not None
    assert (change.chat.id, change.chat.type, change.from_user.id) == (
        channel.id,
        "channel",
        owner.id,
    )
    assert (change.old_chat_member.status, change.new_chat_member.status) == (
        "left",
        "administrator",
    )
    rights = await bot.get_chat_member(channel.id, BOT_ID)
    for member in (change.new_chat_member, rights):
        assert isinstance(member, ChatMemberAdministrator)
        assert (member.can_invite_users, member.can_restrict_members) == (True, False)
    assert_correct_use(emu)


async def test_the_bots_rights_changed_by_someone_come_as_old_and_new_status(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    group = emu.group("Club", supergroup=True, id=-1009876543210)
    admin = emu.user("Admin")
    emu.add_member(group, admin, "administrator")

    assert emu.set_bot_rights(group, admin=False) is None  # silent unless asked
    emu.set_bot_rights(group, by=admin, notify=True)
    emu.remove_bot(group, by=admin)
    emu.set_bot_rights(group, admin=False, by=admin, notify=True)

    changes = [u.my_chat_member for u in pending(emu, "my_chat_member")]
    assert [(c.old_chat_member.status, c.new_chat_member.status) for c in changes if c] == [
        ("member", "administrator"),
        ("administrator", "kicked"),
        ("kicked", "member"),
    ]
    assert {c.from_user.id for c in changes if c} == {admin.id}
    assert group.id == -1009876543210
    with pytest.raises(ValueError, match="not a free group or channel id"):
        emu.channel(id=group.id)
    assert_correct_use(emu)


async def test_chat_member_updates_come_only_to_a_bot_that_asks_for_them(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    group: Group = emu.group("VIP", supergroup=True)
    kate, leo = emu.user("Kate"), emu.user("Leo")
    emu.add_member(group, kate)

    left_id = emu.leave(group, kate)
    asked_id = emu.request_join(leo, group)

    by_default = await bot.get_updates(timeout=0)
    asked = await bot.get_updates(allowed_updates=["chat_member"], timeout=0)

    assert [u.update_id for u in by_default] == [asked_id]
    assert [u.update_id for u in asked] == [left_id]
    change = asked[0].chat_member
    assert change is not None and change.from_user.id == kate.id
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("member", "left")
    assert emu.member_status(group, kate.id) == "left"
    assert_correct_use(emu)


# -- files -----------------------------------------------------------------------------------


async def test_an_upload_gets_a_file_id_that_sends_the_same_document_again(
    emu: BotAPIEmulator, bot: Bot, tmp_path: Path
) -> None:
    alice, bob = emu.user("Alice"), emu.user("Bob")
    guide = tmp_path / "guide.pdf"
    guide.write_bytes(b"%PDF-1.4 the guide")

    first = await bot.send_document(alice.id, FSInputFile(guide), caption="Your guide")
    assert first.document is not None
    again = await bot.send_document(bob.id, first.document.file_id)

    assert again.document == first.document
    assert (first.document.file_name, first.document.file_size) == ("guide.pdf", 18)
    assert [upload.content for upload in emu.uploads] == [b"%PDF-1.4 the guide"]
    assert [len(request.files) for request in emu.calls("sendDocument")] == [1, 0]
    assert_correct_use(emu)


async def test_an_unknown_or_forgotten_file_id_is_refused(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user("Alice")
    sent = await bot.send_document(alice.id, BufferedInputFile(b"key: 42", "key.txt"))
    assert sent.document is not None

    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(alice.id, "BQACnot-a-file-we-sent")
    emu.forget_file_ids()
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(alice.id, sent.document.file_id)

    assert len(emu.chat_history(alice.id)) == 1
    assert emu.violations == []


async def test_protected_content_shows_on_the_message(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user("Alice")

    protected = await bot.send_document(
        alice.id, BufferedInputFile(b"secret", "secret.txt"), protect_content=True
    )
    plain = await bot.send_message(alice.id, "not protected")

    assert protected.has_protected_content is True
    assert plain.has_protected_content is None
    assert [m.get("has_protected_content") for m in emu.chat_history(alice.id)] == [True, None]
    assert_correct_use(emu)
