"""/id: anyone gets their user id as tap-to-copy code, with where it goes (ADMIN_IDS); in a
group, the group's id too, for the catalog's chats, a group not yet in the catalog included.
In a managed chat the bot stays silent but for an admin's /id."""

from __future__ import annotations

from emulator import BotAPIEmulator, User
from emulator.models import Group
from tests.helpers import ADMIN_ID, RunningBot, club_pass_catalog, codes, say, wait_handled

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")


def sent_since(emulator: BotAPIEmulator, since: int) -> list[dict]:
    """Every message the bot sent after `since`, in any chat."""
    return [
        request.result
        for request in emulator.requests[since:]
        if request.ok and isinstance(request.result, dict) and "chat" in request.result
    ]


async def ask_in(emulator: BotAPIEmulator, bot: RunningBot, user: User, chat: Group) -> list:
    """`user` sends /id in `chat`; what the bot sent anywhere once it has handled it."""
    since = emulator.mark()
    await wait_handled(bot, emulator.send_text(user, "/id", chat=chat))
    return sent_since(emulator, since)


async def test_id_in_the_private_chat_gives_the_user_id_to_copy_and_says_where_it_goes(
    emulator, shop
):
    buyer = emulator.user("Ann")

    answer = await say(emulator, buyer, "/id")

    assert codes(answer) == [str(buyer.id)]
    assert "ADMIN_IDS" in answer["text"]
    assert "group" not in answer["text"]


async def test_id_in_a_group_not_in_the_catalog_gives_the_group_id_for_the_catalog(emulator, shop):
    buyer = emulator.user("Ann")
    group = emulator.group("Future club", supergroup=True)

    since = emulator.mark()
    emulator.send_text(buyer, "/id", chat=group)
    answer = await emulator.wait_for_message(group.id, since=since)

    assert group.id < 0
    assert codes(answer) == [str(buyer.id), str(group.id)]
    assert "ADMIN_IDS" in answer["text"] and "chats = [...]" in answer["text"]
    assert answer["reply_to_message"]["from"]["id"] == buyer.id  # whose id it is


async def test_id_in_a_basic_group_says_its_membership_cannot_be_sold_until_a_supergroup(
    emulator, shop
):
    group = emulator.group("Old group")

    since = emulator.mark()
    emulator.send_text(ADMIN, "/id", chat=group)
    answer = await emulator.wait_for_message(group.id, since=since)

    assert codes(answer) == [str(ADMIN_ID), str(group.id)]
    assert "Only a supergroup" in answer["text"] and "send /id again" in answer["text"]


async def test_in_a_managed_chat_only_an_admins_id_is_answered(emulator, start_bot, tmp_path):
    chat = emulator.group("Paid club", supergroup=True)
    bot = await start_bot(catalog_path=club_pass_catalog(tmp_path, chat))
    member = emulator.user("Member")
    emulator.add_member(chat, member)

    assert await ask_in(emulator, bot, member, chat) == []
    since = emulator.mark()
    await wait_handled(bot, emulator.send_text(ADMIN, "/help", chat=chat))
    assert sent_since(emulator, since) == []  # an admin's other commands: silence there too

    [answer] = await ask_in(emulator, bot, ADMIN, chat)
    assert codes(answer) == [str(ADMIN_ID), str(chat.id)]
    assert answer["chat"]["id"] == chat.id and "already" in answer["text"]
