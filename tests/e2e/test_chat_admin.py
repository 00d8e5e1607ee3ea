"""The bot made an administrator of a group or channel: every admin (ADMIN_IDS), and no one
else, is told the chat's id to copy into the catalog's `chats` (a channel has no /id), the
rights the bot still lacks there, and, for a chat the catalog sells already, by which key and
whether buyers can join now. Made a plain member or removed, the bot says nothing."""

from __future__ import annotations

from sqlmodel import col, select

from bot import texts
from emulator import BotAPIEmulator, User
from emulator.models import Group
from storage import InboxStatus, InboxUpdate, OutboxMessage
from tests.helpers import (
    ADMIN_ID,
    SECOND_ADMIN_ID,
    RunningBot,
    buy,
    club_pass_catalog,
    codes,
    eventually,
    request_invoice,
    say,
    wait_handled,
)

ADMINS = (ADMIN_ID, SECOND_ADMIN_ID)
NOTICE = "The bot was made an administrator"


async def promote(
    emulator: BotAPIEmulator, bot: RunningBot, chat: Group, by: User, **rights: bool
) -> list[dict]:
    """`by` makes the bot an administrator of `chat` with `rights`; the notice each admin
    gets, once the bot has handled the update."""
    since = emulator.mark()
    update_id = emulator.set_bot_rights(chat, by=by, notify=True, **rights)
    assert update_id is not None
    await wait_handled(bot, update_id)
    return [
        await emulator.wait_for_message(admin, text_contains=NOTICE, since=since)
        for admin in ADMINS
    ]


async def notices_owed(bot: RunningBot) -> list[OutboxMessage]:
    async with bot.sessions() as session:
        statement = select(OutboxMessage).where(col(OutboxMessage.text).contains(NOTICE))
        return list((await session.exec(statement)).all())


async def test_a_channel_made_admin_with_both_rights_gives_every_admin_its_id(emulator, shop):
    owner = emulator.user("Owner")  # not an admin of the shop
    channel = emulator.channel("Paid news", bot_added=False)
    emulator.add_member(channel, owner, "creator")
    since = emulator.mark()

    notices = await promote(emulator, shop, channel, owner)

    for notice in notices:
        assert codes(notice) == [str(channel.id), "chats"]
        text = notice["text"]
        assert "channel Paid news by Owner" in text and "lacks" not in text
        assert "both rights" in text and "buyers" not in text
    # Only the admins hear of it: not who added the bot, nor the channel.
    assert sorted(m.chat_id for m in await notices_owed(shop)) == sorted(ADMINS)
    sent = [r.params["chat_id"] for r in emulator.requests[since:] if r.method == "sendMessage"]
    assert sorted(sent) == sorted(ADMINS)


async def test_a_right_the_bot_lacks_is_named(emulator, shop):
    owner = emulator.user("Owner")
    channel = emulator.channel("Paid news", bot_added=False)
    emulator.add_member(channel, owner, "creator")

    notices = await promote(emulator, shop, channel, owner, can_restrict_members=False)

    for notice in notices:
        text = notice["text"]
        assert "lacks the right to ban users (can_restrict_members)" in text
        assert "can_invite_users" not in text and "both rights" not in text
        assert codes(notice)[0] == str(channel.id)


async def test_a_basic_group_is_told_to_become_a_supergroup_first(emulator, shop):
    owner = emulator.user("Owner")
    group = emulator.group("Old friends")
    emulator.add_member(group, owner, "creator")
    emulator.set_bot_rights(group, admin=False)  # added as a member, then promoted

    [notice, _] = await promote(emulator, shop, group, owner)

    assert codes(notice) == [str(group.id)]
    assert "convert this basic group" in notice["text"] and "send /id there" in notice["text"]
    assert "Put it in a key" not in notice["text"]


async def test_a_chat_of_the_catalog_names_its_key_and_is_sold_once_the_rights_are_complete(
    emulator, start_bot, tmp_path
):
    owner = emulator.user("Owner")
    channel = emulator.channel("Club channel")
    emulator.add_member(channel, owner, "creator")
    emulator.set_bot_rights(channel, can_invite_users=False)
    bot = await start_bot(catalog_path=club_pass_catalog(tmp_path, channel))
    await emulator.wait_for_message(ADMIN_ID, text_contains="cannot manage")
    buyer = emulator.user("Buyer")
    refused = await emulator.pay(buyer, await request_invoice(emulator, buyer, "pass"))
    assert refused.error_message == texts.chat_unavailable()

    [still_lacking, _] = await promote(
        emulator, bot, channel, owner, can_invite_users=False, can_restrict_members=False
    )
    [complete, _] = await promote(emulator, bot, channel, owner)

    assert "sells access to it already, with the key club" in still_lacking["text"]
    assert "until then buyers cannot join" in still_lacking["text"]
    assert "can_invite_users" in still_lacking["text"]
    assert "can_restrict_members" in still_lacking["text"]
    assert "the key club" in complete["text"] and "buyers can join" in complete["text"]
    assert codes(complete) == [str(channel.id)]
    # Looked at again at once: its invite link made, and access to it sold from now on.
    assert len(emulator.invite_links(channel)) == 1
    await buy(emulator, buyer, "pass")


async def test_made_a_plain_member_or_removed_the_bot_says_nothing(emulator, shop):
    owner = emulator.user("Owner")
    group = emulator.group("Club", supergroup=True)
    channel = emulator.channel("News")
    for chat in (group, channel):
        emulator.add_member(chat, owner, "creator")
    since = emulator.mark()

    demoted = emulator.set_bot_rights(group, admin=False, by=owner, notify=True)
    removed = emulator.remove_bot(channel, by=owner)
    assert demoted is not None and removed is not None
    await wait_handled(shop, demoted, removed)

    assert await notices_owed(shop) == []
    assert [r for r in emulator.requests[since:] if r.method == "sendMessage"] == []


async def test_the_bot_asks_for_its_own_membership_changes_besides_what_it_asked_before(
    emulator, shop
):
    first_poll = emulator.calls("getUpdates")[0]

    assert sorted(first_poll.params["allowed_updates"]) == [
        "callback_query",
        "chat_join_request",
        "chat_member",
        "message",
        "my_chat_member",  # new with this feature; the rest as before
        "pre_checkout_query",
    ]


async def test_a_buyer_blocking_and_unblocking_the_bot_is_handled_quietly(emulator, shop):
    buyer = emulator.user("Ann")
    since = emulator.mark()

    emulator.block(buyer.id)
    emulator.unblock(buyer.id)
    answer = await say(emulator, buyer, "/id")

    async def both_handled() -> bool:
        async with shop.sessions() as session:
            raw = col(InboxUpdate.raw)
            statement = select(InboxUpdate).where(raw.contains('"my_chat_member"'))
            rows = (await session.exec(statement)).all()
        return [row.status for row in rows] == [InboxStatus.DONE] * 2

    await eventually(both_handled)
    assert codes(answer) == [str(buyer.id)]
    sent = [r.params["chat_id"] for r in emulator.requests[since:] if r.method == "sendMessage"]
    assert sent == [buyer.id]
