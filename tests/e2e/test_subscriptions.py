"""Stars subscriptions end to end: bought through an invoice link, renewed, cancelled and
resumed, lapsing, refunded, reconciled, and the reminder a day before a cancelled one ends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot import texts
from bot.services.offers import PayloadSigner
from emulator import BotAPIEmulator, Fault, User
from storage import (
    Entitlement,
    OutboxMessage,
    Payment,
    PaymentRepository,
    SubscriptionRepository,
    utcnow,
)
from tests.helpers import (
    ADMIN_ID,
    RunningBot,
    buy,
    eventually,
    pro_month_ends,
    say,
    wait_handled,
)
from tests.subscribing import (
    access_ends,
    buttons,
    expiration,
    holds,
    offer_link,
    renew,
    subscribe,
    subscription,
)

ADMIN = User(id=ADMIN_ID, first_name="Admin", username="shop_admin")
PERIOD = 2592000


# -- helpers --------------------------------------------------------------------------------


def sent_with(emu: BotAPIEmulator, user_id: int, text: str) -> list[dict[str, Any]]:
    """The messages the bot sent the user that contain `text`."""
    return [m for m in emu.sent_messages(user_id) if text in m.get("text", "")]


async def press(
    emu: BotAPIEmulator, user: User, message: dict[str, Any], label_start: str
) -> dict[str, Any]:
    """The user presses the button whose label starts so; returns the answer to the press."""
    [button] = [b for b in buttons(message) if b["text"].startswith(label_start)]
    since = emu.mark()
    emu.press_button(user, message, button["callback_data"])
    answer = await emu.wait_for("answerCallbackQuery", since=since)
    return answer.params


async def move_end(shop: RunningBot, first_charge_id: str, end: datetime) -> None:
    """As if time had passed: the subscription and its latest period now end at `end`."""
    async with shop.sessions() as session:
        stored = await SubscriptionRepository(session).get(first_charge_id)
        assert stored is not None
        charges = select(Payment.telegram_payment_charge_id).where(
            Payment.subscription_charge_id == first_charge_id,
            Payment.subscription_expiration_date == stored.subscription_expiration_date,
        )
        await session.exec(
            update(Entitlement)
            .where(col(Entitlement.telegram_payment_charge_id).in_(charges))
            .values(expires_at=end)
        )
        await session.exec(
            update(Payment)
            .where(col(Payment.telegram_payment_charge_id).in_(charges))
            .values(subscription_expiration_date=end)
        )
        stored.subscription_expiration_date = end
        session.add(stored)
        await session.commit()


# -- buying, renewing -----------------------------------------------------------------------


async def test_a_subscription_is_bought_through_an_invoice_link_and_runs_to_telegrams_date(
    emulator, shop
):
    buyer = emulator.user("Ann")
    link = await offer_link(emulator, buyer)
    [created] = emulator.calls("createInvoiceLink")
    assert created.params["currency"] == "XTR"
    assert created.params["subscription_period"] == PERIOD
    assert [p["amount"] for p in created.params["prices"]] == [75]
    assert created.result == link
    signer = PayloadSigner(emulator.token)  # no PAYLOAD_SECRET: the token's key signs
    offer = signer.decode(created.params["payload"])
    assert offer is not None and (offer.product_id, offer.price) == ("club", 75)
    [sent] = [m for m in emulator.sent_messages(buyer.id) if buttons(m)]
    assert (
        "75 ⭐ a month" in sent["text"] and buttons(sent)[0]["text"] == "Subscribe: 75 ⭐ a month"
    )
    assert emulator.calls("sendInvoice") == []

    since = emulator.mark()
    paid = await emulator.pay_link(buyer, link)
    assert paid.ok and paid.charge_id
    confirmation = await emulator.wait_for_message(
        buyer.id, text_contains="Thank you", since=since
    )
    ends = expiration(emulator, paid.charge_id)
    assert "You subscribed to Club membership for 75 ⭐ a month" in confirmation["text"]
    assert f"Next renewal on {texts.when(ends)}" in confirmation["text"]

    async with shop.sessions() as session:
        payment = await PaymentRepository(session).get(paid.charge_id)
    assert payment is not None and payment.is_first_recurring
    assert payment.subscription_charge_id == paid.charge_id
    assert payment.subscription_expiration_date == ends
    assert (await subscription(shop, paid.charge_id)).subscription_expiration_date == ends
    assert await access_ends(shop, buyer.id, "club") == ends
    listing = await say(emulator, buyer, "/subscriptions")
    assert f"Club membership: renews on {texts.when(ends)}" in listing["text"]
    assert [b["text"] for b in buttons(listing)] == ["Cancel Club membership"]


async def test_the_shop_button_and_the_deep_link_send_the_subscription_link_too(emulator, shop):
    buyer = emulator.user("Bo")
    listing = await say(emulator, buyer, "/shop")
    assert (
        "Club membership: 75 ⭐ a month, gives club (renews every 30 days until you cancel)"
        in (listing["text"])
    )
    since = emulator.mark()
    emulator.press_button(buyer, listing, "buy:club")
    offer = await emulator.wait_for_message(buyer.id, text_contains="Subscription", since=since)
    assert buttons(offer)[0]["url"] in emulator.invoice_links
    deep = await say(emulator, buyer, "/start buy_club")
    assert buttons(deep)[0]["url"] in emulator.invoice_links
    assert len(emulator.calls("createInvoiceLink")) == 2


async def test_a_renewal_extends_access_to_its_new_date_and_is_confirmed_with_the_next(
    emulator, shop
):
    buyer = emulator.user("Cid")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    since = emulator.mark()
    renewed = await renew(emulator, shop, first.charge_id)
    ends = expiration(emulator, first.charge_id)
    note = await emulator.wait_for_message(buyer.id, text_contains="renewed for", since=since)
    assert "Your subscription to Club membership renewed for 75 ⭐" in note["text"]
    assert f"Next renewal on {texts.when(ends)}" in note["text"]
    assert renewed.charge_id and renewed.charge_id in note["text"]

    assert await access_ends(shop, buyer.id, "club") == ends
    async with shop.sessions() as session:
        payment = await PaymentRepository(session).get(renewed.charge_id)
    assert payment is not None and payment.is_recurring and not payment.is_first_recurring
    assert payment.subscription_charge_id == first.charge_id
    assert (await subscription(shop, first.charge_id)).subscription_expiration_date == ends


async def test_a_renewal_delivered_twice_grants_and_confirms_once(emulator, shop):
    buyer = emulator.user("Dee")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    renewed = await renew(emulator, shop, first.charge_id)
    assert renewed.successful_payment_update_id is not None
    again = emulator.redeliver(renewed.successful_payment_update_id)
    await wait_handled(shop, again)
    await say(emulator, buyer, "/help")  # the outbox sends in order: a second note would be out
    notes = sent_with(emulator, buyer.id, "Your subscription to Club membership renewed")
    assert len(notes) == 1, [n["text"] for n in notes]
    async with shop.sessions() as session:
        assert await PaymentRepository(session).count() == 2
        grants = (await session.exec(select(Entitlement))).all()
    assert {g.telegram_payment_charge_id for g in grants} == {first.charge_id, renewed.charge_id}
    assert await access_ends(shop, buyer.id, "club") == expiration(emulator, first.charge_id)


async def test_a_running_subscription_is_not_sold_again_at_the_shop_nor_at_pre_checkout(
    emulator, shop
):
    buyer = emulator.user("Eve")
    link = await offer_link(emulator, buyer)
    paid = await emulator.pay_link(buyer, link)
    assert paid.ok
    await emulator.wait_for_message(buyer.id, text_contains="Thank you")
    reply = await say(emulator, buyer, "/buy club")
    assert "You already subscribe to Club membership" in reply["text"]
    again = await emulator.pay_link(buyer, link)  # the old link, paid once more
    assert not again.ok
    assert again.error_message and "already have this subscription" in again.error_message


# -- cancel, resume, lapse ------------------------------------------------------------------


async def test_cancel_and_resume_ask_telegram_with_the_first_charge_and_access_runs_to_the_end(
    emulator, shop
):
    buyer = emulator.user("Fay")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    renewed = await renew(emulator, shop, first.charge_id)
    ends = expiration(emulator, first.charge_id)
    listing = await say(emulator, buyer, "/subscriptions")

    since = emulator.mark()
    answer = await press(emulator, buyer, listing, "Cancel")
    [call] = emulator.calls("editUserStarSubscription")
    assert call.params == {
        "user_id": buyer.id,
        "telegram_payment_charge_id": first.charge_id,  # the first charge, not the renewal's
        "is_canceled": True,
    }
    assert answer["text"].startswith("Cancelled: it will not renew.")
    edited = await emulator.wait_for("editMessageText", since=since)
    assert f"cancelled, ends on {texts.when(ends)}" in edited.params["text"]
    assert emulator.subscriptions[first.charge_id].canceled_by_bot
    assert (await subscription(shop, first.charge_id)).is_canceled
    assert await holds(shop, buyer.id, "club")
    assert await holds(shop, buyer.id, "club", now=ends - timedelta(seconds=1))
    assert not await holds(shop, buyer.id, "club", now=ends)
    with pytest.raises(ValueError, match="does not renew"):
        emulator.renew(renewed.charge_id or "")

    shown = emulator.chat_history(buyer.id)[-1]
    since = emulator.mark()
    answer = await press(emulator, buyer, shown, "Resume")
    resumed = emulator.calls("editUserStarSubscription")[-1]
    assert resumed.params["telegram_payment_charge_id"] == first.charge_id
    assert resumed.params["is_canceled"] is False
    assert answer["text"] == f"Resumed: it renews on {texts.when(ends)}."
    edited = await emulator.wait_for("editMessageText", since=since)
    assert f"renews on {texts.when(ends)}" in edited.params["text"]
    assert not (await subscription(shop, first.charge_id)).is_canceled
    await renew(emulator, shop, first.charge_id)  # Telegram renews it again


async def test_a_telegram_error_leaves_the_subscription_as_it_was_and_tells_the_buyer(
    emulator, shop
):
    buyer = emulator.user("Gus")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    listing = await say(emulator, buyer, "/subscriptions")
    emulator.inject("editUserStarSubscription", Fault(400, "Bad Request: SUBSCRIPTION_NOT_ACTIVE"))
    since = emulator.mark()
    answer = await press(emulator, buyer, listing, "Cancel")
    assert answer["show_alert"] is True
    assert "Telegram did not accept it (Bad Request: SUBSCRIPTION_NOT_ACTIVE)" in answer["text"]
    assert "Nothing changed" in answer["text"]
    assert not (await subscription(shop, first.charge_id)).is_canceled
    assert not emulator.subscriptions[first.charge_id].canceled_by_bot
    await say(emulator, buyer, "/help")  # handled in order: an edit would have come before
    assert emulator.calls("editMessageText")[since:] == []
    assert buttons(emulator.chat_history(buyer.id)[-3])[0]["text"] == "Cancel Club membership"


async def test_a_button_of_another_buyers_subscription_changes_nothing(emulator, shop):
    owner, other = emulator.user("Hal"), emulator.user("Ida")
    first = await subscribe(emulator, owner)
    assert first.charge_id
    listing = await say(emulator, owner, "/subscriptions")
    [button] = buttons(listing)
    since = emulator.mark()
    emulator.press_button(other, listing, button["callback_data"])
    answer = await emulator.wait_for("answerCallbackQuery", since=since)
    assert answer.params["text"] == "There is no such subscription of yours."
    assert emulator.calls("editUserStarSubscription") == []
    assert not (await subscription(shop, first.charge_id)).is_canceled


async def test_a_subscription_not_renewed_by_its_date_has_ended_and_can_be_bought_again(
    emulator, shop
):
    buyer = emulator.user("Jo")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    # A cancellation inside Telegram is not reported: the renewal just does not come.
    await move_end(shop, first.charge_id, utcnow() - timedelta(hours=1))
    assert not await holds(shop, buyer.id, "club")
    listing = await say(emulator, buyer, "/subscriptions")
    assert "• Club membership: ended on" in listing["text"]
    assert buttons(listing) == []
    purchases = await say(emulator, buyer, "/mypurchases")
    assert "Club membership: ended on" in purchases["text"]
    await subscribe(emulator, buyer)  # a new subscription
    async with shop.sessions() as session:
        assert len(await SubscriptionRepository(session).list_for_user(buyer.id)) == 2


async def test_mypurchases_shows_the_subscription_and_its_state(emulator, shop):
    buyer = emulator.user("Kim")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    ends = expiration(emulator, first.charge_id)
    shown = await say(emulator, buyer, "/mypurchases")
    assert f"Club membership: renews on {texts.when(ends)}" in shown["text"]
    assert f"club, until {texts.when(ends)}" in shown["text"]


# -- refunds ----------------------------------------------------------------------------------


async def admin_refund(emu: BotAPIEmulator, charge_id: str) -> str:
    """What the admin is told after `/refund charge_id`."""
    reply = await say(emu, ADMIN, f"/refund {charge_id}")
    return str(reply["text"])


async def test_refunding_a_renewal_ends_the_period_it_paid_for_and_the_subscription_goes_on(
    emulator, shop
):
    buyer = emulator.user("Lee")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    first_end = expiration(emulator, first.charge_id)
    renewed = await renew(emulator, shop, first.charge_id)
    assert renewed.charge_id
    renewal_end = expiration(emulator, first.charge_id)
    text = await admin_refund(emulator, renewed.charge_id)
    assert text.startswith("Refunded 75 ⭐ for Club membership")
    assert f"The subscription goes on: Telegram renews it on {texts.when(renewal_end)} (" in text
    assert emulator.calls("editUserStarSubscription") == []
    assert await access_ends(shop, buyer.id, "club") == first_end
    assert not (await subscription(shop, first.charge_id)).is_canceled


async def test_refunding_the_first_charge_cancels_the_renewal_through_telegram(emulator, shop):
    buyer = emulator.user("Max")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    text = await admin_refund(emulator, first.charge_id)
    assert "Its subscription is cancelled and has ended: Telegram will not renew it." in text
    [call] = emulator.calls("editUserStarSubscription")
    assert call.params["telegram_payment_charge_id"] == first.charge_id
    assert call.params["is_canceled"] is True
    assert not await holds(shop, buyer.id, "club")
    stored = await subscription(shop, first.charge_id)
    assert stored.is_canceled and stored.ended_at is not None
    listing = await say(emulator, buyer, "/subscriptions")
    assert "ended on" in listing["text"] and buttons(listing) == []
    await subscribe(emulator, buyer)  # may subscribe afresh


async def test_when_telegram_does_not_cancel_the_renewal_the_admin_is_told_and_may_retry(
    emulator, shop
):
    buyer = emulator.user("Ned")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    emulator.inject("editUserStarSubscription", Fault(500))
    text = await admin_refund(emulator, first.charge_id)
    assert text.startswith("Refunded 75 ⭐ for Club membership")
    assert "Telegram did not cancel its subscription's renewal" in text
    assert "Send the same /refund again" in text
    stored = await subscription(shop, first.charge_id)
    assert not stored.is_canceled and stored.ended_at is None  # as Telegram left it
    assert not await holds(shop, buyer.id, "club")  # the refunded period ended all the same

    again = await admin_refund(emulator, first.charge_id)
    assert again.startswith("Already refunded")
    assert "Its subscription is cancelled and has ended" in again
    assert emulator.subscriptions[first.charge_id].canceled_by_bot
    assert (await subscription(shop, first.charge_id)).is_canceled


# -- reconciliation, admins -------------------------------------------------------------------


async def test_reconciliation_recognises_a_renewal_among_the_star_transactions(
    emulator, start_bot
):
    shop = await start_bot(reconcile_settle=0)
    buyer = emulator.user("Oz")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    missed = emulator.renew(first.charge_id, deliver=False)  # its update never came
    assert missed.charge_id
    [transaction] = [t for t in emulator.star_transactions if t["id"] == missed.charge_id]
    assert transaction["source"]["subscription_period"] == PERIOD
    report = await say(emulator, ADMIN, "/reconcile")
    assert missed.charge_id in report["text"]
    await emulator.wait_for_message(buyer.id, text_contains="renewed for")
    async with shop.sessions() as session:
        payment = await PaymentRepository(session).get(missed.charge_id)
    assert payment is not None and payment.subscription_charge_id == first.charge_id
    ends = expiration(emulator, first.charge_id)
    assert payment.subscription_expiration_date == ends  # the previous end plus one period
    assert await access_ends(shop, buyer.id, "club") == ends


async def test_renewals_are_payments_to_admins_like_any_other(emulator, shop):
    buyer = emulator.user("Pia")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    renewed = await renew(emulator, shop, first.charge_id)
    stats = await say(emulator, ADMIN, "/stats")
    assert "all time         2    150" in stats["text"]
    listed = await say(emulator, ADMIN, "/payments")
    assert first.charge_id in listed["text"] and (renewed.charge_id or "?") in listed["text"]
    await say(emulator, buyer, "/paysupport")
    since = emulator.mark()
    await say(emulator, buyer, "I was charged for the club twice")
    request = await emulator.wait_for_message(
        ADMIN_ID, text_contains="support request", since=since
    )
    assert first.charge_id in request["text"] and (renewed.charge_id or "?") in request["text"]
    assert len(buttons(request)) == 2  # a Refund button for each


# -- reminders --------------------------------------------------------------------------------


async def restart(shop: RunningBot, start_bot: Callable[..., Awaitable[RunningBot]]) -> RunningBot:
    await shop.stop()
    return await start_bot()


async def test_a_cancelled_subscription_is_reminded_once_a_day_before_it_ends_across_restarts(
    emulator, start_bot
):
    shop = await start_bot()
    buyer = emulator.user("Quin")
    first = await subscribe(emulator, buyer)
    assert first.charge_id
    listing = await say(emulator, buyer, "/subscriptions")
    await press(emulator, buyer, listing, "Cancel")
    await eventually(lambda: subscription_canceled(shop, first.charge_id or ""))
    await buy(emulator, buyer, "pro_month")  # its reminder, later, shows the task ran again
    soon = utcnow() + timedelta(hours=12)
    await move_end(shop, first.charge_id, soon)

    shop = await restart(shop, start_bot)  # the reminder fell due while the bot was down
    reminder = await emulator.wait_for_message(buyer.id, text_contains="⏰")
    assert f"Club membership ends on {texts.when(soon)}" in reminder["text"]
    assert [b["text"] for b in buttons(reminder)] == ["Resume Club membership"]

    await pro_month_ends(shop, buyer.id, utcnow() + timedelta(hours=20))
    shop = await restart(shop, start_bot)
    await emulator.wait_for_message(buyer.id, text_contains="Buy it again")
    assert len(sent_with(emulator, buyer.id, "Club membership ends on")) == 1
    assert len(await owed_reminders(shop)) == 2  # the second run owed only the new one

    since = emulator.mark()
    answer = await press(emulator, buyer, reminder, "Resume")
    assert answer["text"].startswith("Resumed")
    assert emulator.calls("editUserStarSubscription")[-1].params["is_canceled"] is False
    edited = await emulator.wait_for("editMessageText", since=since)
    assert "renews on" in edited.params["text"]


async def owed_reminders(shop: RunningBot) -> list[OutboxMessage]:
    async with shop.sessions() as session:
        statement = select(OutboxMessage).where(
            col(OutboxMessage.dedupe_key).startswith("reminder:")
        )
        return list((await session.exec(statement)).all())


async def subscription_canceled(shop: RunningBot, charge_id: str) -> bool:
    return (await subscription(shop, charge_id)).is_canceled


async def test_no_reminder_for_a_product_bought_again_or_a_subscription_that_renews(
    emulator, start_bot
):
    shop = await start_bot()
    renewing, extended, marker = emulator.user("Ray"), emulator.user("Sal"), emulator.user("Tam")
    first = await subscribe(emulator, renewing)
    assert first.charge_id
    await move_end(shop, first.charge_id, utcnow() + timedelta(hours=6))
    await buy(emulator, extended, "pro_month")
    await pro_month_ends(shop, extended.id, utcnow() + timedelta(hours=6))
    await buy(emulator, extended, "pro_month")  # bought again before the reminder fell due
    await buy(emulator, marker, "pro_month")
    await pro_month_ends(shop, marker.id, utcnow() + timedelta(hours=6))

    shop = await restart(shop, start_bot)
    await emulator.wait_for_message(marker.id, text_contains="⏰")
    # Reminders found together are owed in one transaction: the marker's came alone.
    assert [m.chat_id for m in await owed_reminders(shop)] == [marker.id]
    assert sent_with(emulator, renewing.id, "⏰") == []
    assert sent_with(emulator, extended.id, "⏰") == []
