"""What shows a buyer's data or the shop's answers in the private chat with the bot only: typed
in a group, an admin command or a buyer's /mypurchases gets one short line that points at the
private chat, the same for everyone, and in a group where the bot may not write, nothing."""

from __future__ import annotations

from sqlmodel import select

from bot import texts
from bot.services.goodwill import GRANT_KIND
from emulator import User
from storage import AuditRepository, Refund, SupportRequest
from tests.helpers import ADMIN_ID, buy, say, wait_handled

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")
ADMIN_COMMANDS = [
    "/export",
    "/user {buyer}",
    "/payments",
    "/refund {charge}",
    "/grant {buyer} gold",
]
BUYER_COMMANDS = ["/mypurchases", "/subscriptions", "/paysupport"]


def bot_messages(emulator, since: int) -> list[dict]:
    """Every message the bot sent or edited after `since`, in any chat."""
    return [
        request.result
        for request in emulator.requests[since:]
        if request.ok and isinstance(request.result, dict) and "chat" in request.result
    ]


async def in_group(emulator, shop, user: User, group, commands: list[str]) -> list[dict]:
    """`user` sends each command in `group`; what the bot sent anywhere meanwhile."""
    since = emulator.mark()
    for command in commands:
        await wait_handled(shop, emulator.send_text(user, command, chat=group))
    return bot_messages(emulator, since)


async def test_admin_commands_in_a_group_get_only_the_short_line(emulator, shop):
    buyer = emulator.user("Ann", username="ann")
    charge = (await buy(emulator, buyer, "gold")).charge_id
    group = emulator.group("Shop fans", supergroup=True)
    commands = [c.format(buyer=buyer.id, charge=charge) for c in ADMIN_COMMANDS]

    sent = await in_group(emulator, shop, ADMIN, group, commands)

    assert [(m["chat"]["id"], m.get("text")) for m in sent] == [
        (group.id, texts.private_chat_only())
    ] * len(commands)
    assert emulator.calls("sendDocument") == []
    assert not emulator.charges[charge].refunded
    async with shop.sessions() as session:
        assert (await session.exec(select(Refund))).all() == []
        assert await AuditRepository(session).list(GRANT_KIND) == []
    # In the private chat, the same commands still work.
    assert charge in (await say(emulator, ADMIN, "/payments"))["text"]
    assert charge in (await say(emulator, ADMIN, f"/user {buyer.id}"))["text"]
    await say(emulator, ADMIN, "/export")
    assert len(emulator.calls("sendDocument")) == 1
    refunded = await say(emulator, ADMIN, f"/refund {charge}")
    assert refunded["text"].startswith("Refunded") and emulator.charges[charge].refunded


async def test_anyone_else_in_a_group_gets_the_same_line_and_no_hint_of_admins(emulator, shop):
    mallory = emulator.user("Mallory")
    group = emulator.group("Shop fans")

    sent = await in_group(emulator, shop, mallory, group, ["/export", "/grant 1 gold"])

    assert [(m["chat"]["id"], m["text"]) for m in sent] == [
        (group.id, texts.private_chat_only())
    ] * 2


async def test_a_buyers_own_data_stays_out_of_groups(emulator, shop):
    buyer = emulator.user("Ann")
    charge = (await buy(emulator, buyer, "gold")).charge_id
    group = emulator.group("Shop fans")

    sent = await in_group(emulator, shop, buyer, group, BUYER_COMMANDS)

    assert [(m["chat"]["id"], m["text"]) for m in sent] == [
        (group.id, texts.private_chat_only())
    ] * len(BUYER_COMMANDS)
    async with shop.sessions() as session:
        assert await session.get(SupportRequest, buyer.id) is None
    assert charge in (await say(emulator, buyer, "/mypurchases"))["text"]


async def test_a_support_description_is_taken_from_the_private_chat_only(emulator, shop):
    buyer = emulator.user("Ann")
    group = emulator.group("Shop fans")
    await say(emulator, buyer, "/paysupport")

    sent = await in_group(emulator, shop, buyer, group, ["my card was charged twice"])

    assert sent == []  # neither "sent to a person" in the group nor a request to the admins
    reply = await say(emulator, buyer, "I was charged twice for gold")
    assert reply["text"] == texts.support_sent()


async def test_a_group_where_the_bot_may_not_write_gets_nothing(emulator, shop):
    muted = emulator.group("Read only", supergroup=True, can_send=False)

    since = emulator.mark()

    sent = await in_group(emulator, shop, ADMIN, muted, ["/payments", "/mypurchases"])

    assert sent == []
    tried = [r for r in emulator.requests[since:] if r.method == "sendMessage"]
    assert [(r.params["chat_id"], r.status) for r in tried] == [(muted.id, 400)] * 2  # no apology


async def test_a_subscription_button_pressed_in_a_group_gets_an_alert_and_changes_nothing(
    emulator, shop
):
    buyer = emulator.user("Fay")
    [[link]] = (await say(emulator, buyer, "/buy club"))["reply_markup"]["inline_keyboard"]
    since = emulator.mark()
    assert (await emulator.pay_link(buyer, link["url"])).ok
    await emulator.wait_for_message(buyer.id, text_contains="Thank you", since=since)
    listing = await say(emulator, buyer, "/subscriptions")
    [[cancel]] = listing["reply_markup"]["inline_keyboard"]
    group = emulator.group("Shop fans")
    [line] = await in_group(emulator, shop, buyer, group, ["/subscriptions"])
    since = emulator.mark()

    # A forged press (a modified client) of the buyer's Cancel under the bot's line in the group.
    emulator.press_button(buyer, line, cancel["callback_data"], check=False)

    answer = await emulator.wait_for("answerCallbackQuery", since=since)
    assert answer.params["text"] == texts.private_chat_only_button()
    assert emulator.calls("editUserStarSubscription") == []
    assert bot_messages(emulator, since) == []  # the group's message is not edited
