"""The emulator's index of sent messages and its pending updates give what a walk over every
request (or every update) gave: the same messages, in the same order."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import ClientDecodeError, TelegramBadRequest, TelegramServerError

from emulator import BotAPIEmulator, Fault
from emulator.sent import SentMessages
from emulator.telegram.updates import UpdateQueue


def texts(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


async def test_an_edit_is_an_entry_of_its_own_but_not_a_message_to_wait_for(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    sent = await bot.send_message(alice.id, "Pick one")
    since = emu.mark()
    await bot.edit_message_text("Picked", chat_id=alice.id, message_id=sent.message_id)
    await bot.send_message(alice.id, "Thanks")

    assert texts(emu.sent_messages(alice.id)) == ["Pick one", "Picked", "Thanks"]
    assert "edit_date" in emu.sent_messages(alice.id)[1]
    found = await emu.wait_for_message(alice.id, since=since)
    assert found["text"] == "Thanks"


async def test_each_chat_gets_its_own_messages_in_the_order_the_requests_came(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice, bob = emu.user(first_name="Alice"), emu.user(first_name="Bob")
    for text, chat in [("a1", alice), ("b1", bob), ("a2", alice), ("b2", bob)]:
        await bot.send_message(chat.id, text)

    assert texts(emu.sent_messages()) == ["a1", "b1", "a2", "b2"]
    assert texts(emu.sent_messages(alice.id)) == ["a1", "a2"]
    assert texts(emu.sent_messages(bob.id)) == ["b1", "b2"]
    assert emu.sent_messages(404) == []
    assert (await emu.wait_for_message(bob.id, text_contains="2"))["text"] == "b2"


async def test_a_send_that_failed_holds_no_message(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    emu.inject("sendMessage", Fault(status=500))
    emu.inject("sendMessage", Fault(status=502))  # nginx's page, not JSON
    with pytest.raises(TelegramServerError):
        await bot.send_message(alice.id, "lost to a 500")
    with pytest.raises(ClientDecodeError):
        await bot.send_message(alice.id, "lost to a 502")
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(alice.id, " ")  # empty: Telegram refuses it
    since = emu.mark()
    await bot.send_message(alice.id, "delivered")

    assert texts(emu.sent_messages(alice.id)) == ["delivered"]
    assert len(emu.calls("sendMessage")) == 4
    assert (await emu.wait_for_message(alice.id))["text"] == "delivered"
    assert (await emu.wait_for_message(alice.id, since=since))["text"] == "delivered"
    with pytest.raises(TimeoutError, match="a message to 404"):
        await emu.wait_for_message(404, timeout=0.1)


async def test_since_leaves_out_the_messages_of_earlier_requests(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    await bot.send_message(alice.id, "one")
    since = emu.mark()
    await bot.send_message(alice.id, "two")

    assert (await emu.wait_for_message(alice.id))["text"] == "one"
    assert (await emu.wait_for_message(alice.id, since=since))["text"] == "two"
    with pytest.raises(TimeoutError):
        await emu.wait_for_message(alice.id, since=emu.mark(), timeout=0.1)
    with pytest.raises(TimeoutError):
        await emu.wait_for_message(alice.id, text_contains="one", since=since, timeout=0.1)


async def test_a_message_answered_late_keeps_the_place_of_its_request(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    since = emu.mark()
    emu.inject("sendMessage", Fault(status=None, delay=1.0))  # only the answer is slow
    slow = asyncio.create_task(bot.send_message(alice.id, "slow"))
    await emu.wait_for("sendMessage", answered=False)
    await bot.send_message(alice.id, "fast")

    # While the slow one is unanswered, the fast one is the first there is.
    assert (await emu.wait_for_message(alice.id, since=since))["text"] == "fast"
    await slow
    # Once both are answered, the one whose request came first is first.
    assert (await emu.wait_for_message(alice.id, since=since))["text"] == "slow"
    assert texts(emu.sent_messages(alice.id)) == ["slow", "fast"]
    assert texts(emu.sent_messages()) == ["slow", "fast"]


async def test_wait_for_counts_a_request_once_it_is_answered(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    since = emu.mark()
    emu.inject("sendMessage", Fault(status=None, delay=1.0))
    slow = asyncio.create_task(bot.send_message(alice.id, "slow"))
    arrived = await emu.wait_for("sendMessage", answered=False, since=since)
    assert arrived.status is None
    answered = asyncio.create_task(emu.wait_for("sendMessage", since=since))
    await bot.send_message(alice.id, "fast")

    # The fast one is answered first, so it is the one the wait sees.
    assert (await answered).params["text"] == "fast"
    await slow
    both = await emu.wait_for("sendMessage", count=2, since=since)
    assert both.params["text"] == "fast"  # the latest by arrival, as before
    only_slow = await emu.wait_for("sendMessage", lambda r: r.params["text"] == "slow")
    assert only_slow.ok and only_slow is arrived


async def test_a_list_handed_out_is_never_changed_afterwards(
    emu: BotAPIEmulator, bot: Bot
) -> None:
    alice = emu.user(first_name="Alice")
    await bot.send_message(alice.id, "one")
    mine, everyone = emu.sent_messages(alice.id), emu.sent_messages()
    calls = emu.calls("sendMessage")
    await bot.send_message(alice.id, "two")

    assert texts(mine) == texts(everyone) == ["one"] and len(calls) == 1
    mine.clear()
    assert texts(emu.sent_messages(alice.id)) == ["one", "two"]


def test_the_index_orders_by_request_and_skips_results_without_a_message() -> None:
    sent = SentMessages()
    chat = {"id": 7, "type": "private"}
    album = [{"message_id": 3, "chat": chat}, {"message_id": 4, "chat": chat}]
    sent.record(2, album, edit=False)  # sendMediaGroup, answered before the request at 1
    sent.record(1, {"message_id": 2, "chat": chat, "text": "first"}, edit=False)
    sent.record(3, True, edit=True)  # an inline message's edit answers True
    sent.record(4, [{"message_id": 9}], edit=False)  # copyMessages: MessageIds, no chat
    sent.record(5, None, edit=False)  # a failed request has no result

    assert [m["message_id"] for m in sent.messages(7)] == [2, 3, 4]
    assert [s.position for s in sent.answered_since(7, 0)] == [2, 2, 1]
    assert [s.message["message_id"] for s in sent.answered_since(7, 2)] == [2]
    assert sent.answered_since(8, 0) == [] and sent.messages(8) == []


def test_updates_taken_out_of_order_confirm_up_to_the_first_still_pending() -> None:
    queue = UpdateQueue()
    first, second, third = (queue.queue({"message": {"text": str(n)}}) for n in range(3))

    queue.acknowledge(second)
    assert queue.confirmed_offset == first and queue.pending_count == 2
    queue.acknowledge(first)
    assert queue.confirmed_offset == third
    assert [u["update_id"] for u in queue.pending] == [third]
    queue.acknowledge(third)
    assert queue.confirmed_offset == third + 1 and queue.pending == []


def test_get_updates_offsets_and_limit_over_the_pending_updates() -> None:
    queue = UpdateQueue()
    kinds = ["message", "message", "message", "message_reaction", "message", "message"]
    ids = [queue.queue({kind: {"n": n}}) for n, kind in enumerate(kinds)]

    assert [u["update_id"] for u in queue.available(2)] == ids[:2]
    queue.confirm(ids[2])
    assert queue.confirmed_offset == ids[2]
    # A reaction is not sent unless asked for, and does not count towards the limit.
    assert [u["update_id"] for u in queue.available(3)] == [ids[2], ids[4], ids[5]]
    queue.confirm(-2)
    assert queue.pending == [queue.history[i] for i in ids[-2:]]
    assert queue.confirmed_offset == ids[-2]
    queue.drop_pending()
    assert queue.pending_count == 0 and queue.confirmed_offset == ids[-1] + 1
