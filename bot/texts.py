"""What the bot says, built from plain values.

Every text is HTML, and fits Telegram's limit of 4096 characters as Telegram counts them (after
the entities are parsed, in UTF-16 units): lists show what fits and say how many more there are,
and what a user, an admin or Telegram wrote is shortened before it is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from bot.catalog import Catalog, Product, ProductKind
from bot.limits import ALERT_LIMIT as ALERT_LIMIT
from bot.limits import ASKED_LIMIT as ASKED_LIMIT
from bot.limits import MESSAGE_LIMIT as MESSAGE_LIMIT
from bot.limits import QUOTE_LIMIT as QUOTE_LIMIT
from bot.limits import fit_lines as fit_lines
from bot.limits import plain as plain
from bot.limits import shorten as shorten
from bot.limits import utf16_len as utf16_len
from bot.limits import visible_length as visible_length
from bot.outcomes import (
    AfterRefund,
    BuyerReport,
    ChangeResult,
    ChangeStatus,
    GoodwillEvent,
    GrantResult,
    RevokeResult,
    SalesFigures,
    SubscriptionAfterRefund,
    SubscriptionState,
    status_of,
)
from entitlements import ActiveEntitlement, GrantedKey
from storage.models import Payment, Refund, Subscription

COMMANDS: dict[str, str] = {
    "shop": "browse the products",
    "buy": "buy a product: /buy <product_id>",
    "mypurchases": "what you own and your receipts",
    "subscriptions": "your subscriptions: cancel or resume them",
    "paysupport": "help with a payment",
    "terms": "terms of sale",
    "help": "list the commands",
}
ADMIN_COMMANDS: dict[str, str] = {
    "refund": "refund a payment: /refund <charge_id> [reason]",
    "reconcile": "check Telegram's Star transactions for anything missed",
    "stats": "sales, refunds and who holds what",
    "payments": "the latest payments: /payments [n]",
    "user": "a buyer's payments and access: /user <id or @username>",
    "grant": "give a product without a payment: /grant <user_id> <product_id> [days]",
    "revoke": "end a goodwill grant: /revoke <user_id> <product_id>",
    "balance": "the bot's Star balance",
    "export": "the last 30 days of payments as a CSV file",
}


ALERT_REASON_LIMIT = 60  # the most of a refund's reason an alert shows


def stars(amount: int) -> str:
    return f"{amount} ⭐"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def price(product: Product) -> str:
    """Plain text: what the product costs (a subscription, each month)."""
    if product.kind is ProductKind.SUBSCRIPTION:
        return f"{stars(product.price)} a month"
    return stars(product.price)


def product_line(product: Product) -> str:
    gives = ", ".join(escape(key) for key in product.grants)
    match product.kind:
        case ProductKind.TIMED:
            term = f"for {product.duration_days} days"
        case ProductKind.SUBSCRIPTION:
            term = "renews every 30 days until you cancel"
        case _:
            term = "forever"
    return f"<b>{escape(product.title)}</b>: {price(product)}, gives {gives} ({term})"


def welcome(catalog: Catalog) -> str:
    head, tail = "Welcome! This shop sells digital goods for Telegram Stars: ", ".\n\n"
    tail += command_list()
    room = MESSAGE_LIMIT - len(head) - visible_length(tail)
    titles = fit_lines([escape(p.title) for p in catalog], room, ", ")
    return head + titles + tail


def command_list() -> str:
    lines = [f"/{name}: {escape(about)}" for name, about in COMMANDS.items()]
    return "Commands:\n" + "\n".join(lines)


def shop(catalog: Catalog) -> str:
    head, tail = "What you can buy:\n\n", "\n\nPress a button to get an invoice."
    lines = fit_lines([product_line(p) for p in catalog], MESSAGE_LIMIT - len(head) - len(tail))
    return head + lines + tail


def _product_ids(catalog: Catalog, room: int) -> str:
    return fit_lines([f"<code>{p.id}</code>" for p in catalog], room, ", ")


def unknown_product(catalog: Catalog, asked: str) -> str:
    head = f"There is no product {escape(shorten(asked, ASKED_LIMIT))!r}. Products you can buy: "
    return head + _product_ids(catalog, MESSAGE_LIMIT - visible_length(head) - 1) + "."


def buy_usage(catalog: Catalog) -> str:
    head = "Usage: /buy &lt;product_id&gt;. Products: "
    return head + _product_ids(catalog, MESSAGE_LIMIT - visible_length(head) - 1) + "."


def already_owned(product: Product) -> str:
    if product.kind is ProductKind.SUBSCRIPTION:
        return (
            f"You already subscribe to {escape(product.title)}; see /subscriptions to resume "
            "or cancel it."
        )
    return f"You already own {escape(product.title)}; see /mypurchases."


def subscription_offer(product: Product) -> str:
    return (
        f"🧾 Subscription: <b>{escape(product.title)}</b>, {price(product)}\n"
        f"{escape(product.description)}\n\n"
        "Telegram charges it every 30 days until you cancel, which you can do any time in "
        "/subscriptions: you keep what you paid for to the end of its month."
    )


def subscribe_button(product: Product) -> str:
    """Plain text (buttons take no HTML)."""
    return f"Subscribe: {price(product)}"


def entitlement_term(expires_at: datetime | None) -> str:
    return "forever" if expires_at is None else f"until {when(expires_at)}"


def payment_confirmation(
    product: Product, granted: Sequence[GrantedKey], charge_id: str, *, recovered: bool = False
) -> str:
    head = (
        "We found a payment of yours that had not reached us, and completed it."
        if recovered
        else "Thank you, payment received!"
    )
    head = f"{head}\nYou bought <b>{escape(product.title)}</b> for {stars(product.price)}.\n"
    head += "You now have:\n"
    tail = f"\n\nCharge id (quote it to /paysupport): <code>{escape(charge_id)}</code>"
    items = [f"• {escape(e.key)}, {entitlement_term(e.expires_at)}" for e in granted]
    room = MESSAGE_LIMIT - visible_length(head) - visible_length(tail)
    return head + fit_lines(items, room) + tail


def subscription_confirmation(
    product: Product,
    amount: int,
    granted: Sequence[GrantedKey],
    charge_id: str,
    *,
    first: bool,
    renews_on: datetime,
    recovered: bool = False,
) -> str:
    """A subscription's first payment, or a renewal: what it gives, and the next renewal."""
    title = f"<b>{escape(product.title)}</b>"
    if recovered:
        head = "We found a payment of yours that had not reached us, and completed it.\n"
    else:
        head = "Thank you, payment received!\n" if first else ""
    head += (
        f"You subscribed to {title} for {stars(amount)} a month.\n"
        if first
        else f"Your subscription to {title} renewed for {stars(amount)}.\n"
    )
    head += "You now have:\n"
    tail = (
        f"\n\nNext renewal on {when(renews_on)}; cancel any time in /subscriptions.\n"
        f"Charge id (quote it to /paysupport): <code>{escape(charge_id)}</code>"
    )
    items = [f"• {escape(e.key)}, {entitlement_term(e.expires_at)}" for e in granted]
    room = MESSAGE_LIMIT - visible_length(head) - visible_length(tail)
    return head + fit_lines(items, room) + tail


def payment_without_product(amount: int, charge_id: str) -> str:
    return (
        f"We received your payment of {stars(amount)}, but the product is no longer sold. "
        "A person will contact you to refund or replace it.\n"
        f"Charge id: <code>{escape(charge_id)}</code>"
    )


def payment_already_owned(product: Product, charge_id: str) -> str:
    return (
        f"We received a second payment for <b>{escape(product.title)}</b>, which you already "
        "own. A person will refund it to your Stars balance.\n"
        f"Charge id: <code>{escape(charge_id)}</code>"
    )


def admin_payment_already_owned(payment: Payment, product: Product) -> str:
    return (
        f"⚠️ User {payment.user_id} paid {stars(payment.total_amount)} again for "
        f"{escape(product.title)}, which they already own. Nothing was granted: refund it with\n"
        f"<code>/refund {escape(payment.telegram_payment_charge_id)}</code>"
    )


def admin_payment_without_product(user_id: int, payment: Payment) -> str:
    return (
        f"⚠️ Payment of {stars(payment.total_amount)} by user {user_id} for an unknown product "
        f"(payload {escape(payment.invoice_payload)!r}). Nothing was granted: refund it with\n"
        f"<code>/refund {escape(payment.telegram_payment_charge_id)}</code>"
    )


def my_purchases(
    active: Iterable[ActiveEntitlement],
    subscriptions: Sequence[Subscription],
    payments: Sequence[Payment],
    refunds: dict[str, Refund],
    catalog: Catalog,
    now: datetime,
) -> str:
    owned = [f"• {escape(a.key)}, {entitlement_term(a.expires_at)}" for a in active]
    if not owned and not payments:
        return "You have not bought anything yet. See /shop."
    receipts = []
    for p in payments:  # newest first
        product = catalog.get(p.product_id)
        title = escape(product.title) if product else escape(p.product_id or "unknown product")
        status = (
            f", refunded {when(refunds[p.telegram_payment_charge_id].refunded_at)}"
            if (p.telegram_payment_charge_id in refunds)
            else ""
        )
        receipts.append(
            f"• {title}, {stars(p.total_amount)}, {when(p.paid_at)}{status}\n"
            f"  charge id <code>{escape(p.telegram_payment_charge_id)}</code>"
        )
    # What the buyer holds comes first; the payments get the room it leaves.
    text = "You own:\n" + (fit_lines(owned, MESSAGE_LIMIT // 4) if owned else "nothing right now")
    if subscriptions:
        lines = [subscription_line(sub, catalog, now) for sub in subscriptions]
        text += "\n\nSubscriptions (/subscriptions to cancel or resume):\n"
        text += fit_lines(lines, MESSAGE_LIMIT // 4)
    if receipts:
        head = "\n\nYour payments:\n"
        room = MESSAGE_LIMIT - visible_length(text) - len(head)
        text += head + fit_lines(receipts, room)
    return text


def subscription_line(subscription: Subscription, catalog: Catalog, now: datetime) -> str:
    """One subscription and where it stands: renews, cancelled, or ended, and when."""
    title = _title_of(subscription.product_id, catalog)
    status = status_of(subscription, now)
    match status.state:
        case SubscriptionState.RENEWS:
            state = f"renews on {when(status.on)}"
        case SubscriptionState.CANCELED:
            state = f"cancelled, ends on {when(status.on)}"
        case _:
            state = f"ended on {when(status.on)}"
    return f"• <b>{title}</b>: {state}"


NO_SUBSCRIPTIONS = "You have no subscriptions. See /shop for what you can subscribe to."


def subscriptions_list(
    subscriptions: Sequence[Subscription], catalog: Catalog, now: datetime
) -> str:
    """What /subscriptions shows; the buttons below it cancel or resume."""
    if not subscriptions:
        return NO_SUBSCRIPTIONS
    head = "Your subscriptions:\n"
    tail = (
        "\n\nCancelling stops the renewal; you keep what you paid for to the end of its "
        "month. A subscription you cancel inside Telegram shows here as renewing until its "
        "date, then as ended."
    )
    lines = [subscription_line(sub, catalog, now) for sub in subscriptions]
    return head + fit_lines(lines, MESSAGE_LIMIT - len(head) - len(tail)) + tail


def renewal_button(title: str, *, cancel: bool) -> str:
    """Plain text (buttons take no HTML)."""
    return f"{'Cancel' if cancel else 'Resume'} {title}"


def renewal_changed(result: ChangeResult) -> str:
    """For a button's alert: plain text, at most ALERT_LIMIT characters."""
    sub = result.subscription
    match result.status:
        case ChangeStatus.DONE if sub is not None and sub.is_canceled:
            text = (
                "Cancelled: it will not renew. You keep it until "
                f"{when(sub.subscription_expiration_date)}."
            )
        case ChangeStatus.DONE if sub is not None:
            text = f"Resumed: it renews on {when(sub.subscription_expiration_date)}."
        case ChangeStatus.FAILED:
            text = (
                f"Telegram did not accept it ({shorten(result.error or 'no answer', 80)}). "
                "Nothing changed; please try again in a minute."
            )
        case ChangeStatus.UNCHANGED:
            text = "Nothing to change: see the list as it is now."
        case _:
            text = "There is no such subscription of yours."
    return shorten(text, ALERT_LIMIT)


def reminder_timed(product: Product, ends_at: datetime) -> str:
    return (
        f"⏰ Your <b>{escape(product.title)}</b> ends on {when(ends_at)}, in about a day.\n"
        f"Buy it again to add {product.duration_days} more days from then."
    )


def reminder_subscription(product: Product, ends_at: datetime) -> str:
    return (
        f"⏰ Your subscription to <b>{escape(product.title)}</b> ends on {when(ends_at)}, in "
        "about a day: you cancelled its renewal. Resume it to keep it, for "
        f"{price(product)}."
    )


def buy_again_button(product: Product) -> str:
    """Plain text (buttons take no HTML)."""
    return f"Buy again: {price(product)}"


def refund_notice(
    payment: Payment, product: Product | None, *, revoked: int, granted_instead: Payment | None
) -> str:
    """To the buyer: what the refund changed for what they own."""
    title = escape(product.title) if product else "your purchase"
    head = (
        f"Your payment of {stars(payment.total_amount)} for <b>{title}</b> was refunded to your "
        "Stars balance"
    )
    if granted_instead is not None:
        other = escape(granted_instead.telegram_payment_charge_id)
        change = (
            f".\nYou keep <b>{title}</b>: your other payment for it (charge id <code>{other}"
            "</code>), which we had said a person would refund, now gives it to you instead."
        )
    elif revoked:
        change = ", and the access it gave has ended."
    else:
        change = ". It had not given you anything, so what you own stays as it is."
    return f"{head}{change}\nCharge id: <code>{escape(payment.telegram_payment_charge_id)}</code>"


def recovered_summary(payments: Sequence[str], refunds: Sequence[str], seen: int) -> str:
    text = f"Reconciliation read {seen} new Star transaction(s)."
    found = {name: ids for name, ids in (("payments", payments), ("refunds", refunds)) if ids}
    if not found:
        return text + "\nNothing was missing."
    room = MESSAGE_LIMIT - visible_length(text)
    blocks: dict[str, str] = {}
    # The shorter list first, each taking at most an equal share of the room left: neither can
    # crowd out the other, and what one does not need goes to the other.
    for index, name in enumerate(sorted(found, key=lambda n: len(found[n]))):
        head = f"\nRecovered {name} ({len(found[name])}, all in the log):\n"
        lines = [f"<code>{escape(c)}</code>" for c in found[name]]
        blocks[name] = head + fit_lines(lines, room // (len(found) - index) - len(head))
        room -= visible_length(blocks[name])
    return text + "".join(blocks[name] for name in found)


# -- refunds by an admin, and payment support ---------------------------------------------

NOT_ALLOWED = "Not allowed: this command is for the shop's admins."
NOT_ALLOWED_BUTTON = "Not allowed."
REFUND_USAGE = (
    "Usage: /refund &lt;telegram_payment_charge_id&gt; [reason]\n"
    "The charge id is on the buyer's receipt and in their /paysupport request."
)
REFUND_CANCELLED = "Refund cancelled; nothing changed."
PAYMENT_GONE = "There is no such payment any more; nothing was done."
SUPPORT_DESCRIBE = "Describe the problem in one message now, or send /cancel."
SUPPORT_SENT = (
    "Thank you. Your request went to a person, who will look into it and contact you here."
)
SUPPORT_UNAVAILABLE = "Sorry, nobody can take support requests right now. Please try again later."
SUPPORT_CANCELLED = "Cancelled. Send /paysupport whenever you need help with a payment."
SUPPORT_NOTHING_TO_CANCEL = "There is nothing to cancel."
SUPPORT_WORDS_PLEASE = "Please describe the problem in words, in one message, or send /cancel."
SUPPORT_DESCRIPTION_LIMIT = 2000  # the most of the buyer's description an admin is shown
SUPPORT_DESCRIPTION_KEPT = 1000  # ...and the least, whatever the list of payments needs


def _paid_for(payment: Payment, product: Product | None) -> str:
    title = escape(product.title) if product else escape(payment.product_id or "unknown product")
    return f"{stars(payment.total_amount)} for <b>{title}</b> to user {payment.user_id}"


def refund_unknown(charge_id: str) -> str:
    shown = escape(shorten(charge_id, QUOTE_LIMIT))
    return f"No payment with that charge id (<code>{shown}</code>); nothing was done."


def refund_already(refund: Refund) -> str:
    return escape(_refund_already(refund, QUOTE_LIMIT))


def refund_already_alert(refund: Refund) -> str:
    """For a button's alert, which takes plain text only, at most ALERT_LIMIT characters."""
    return shorten(_refund_already(refund, ALERT_REASON_LIMIT), ALERT_LIMIT)


def _refund_already(refund: Refund, reason_limit: int) -> str:
    """Plain text, with at most `reason_limit` of the reason."""
    by = f" by admin {refund.admin_id}" if refund.admin_id is not None else ""
    why = f", reason: {shorten(refund.reason, reason_limit)}" if refund.reason else ""
    return (
        f"Already refunded on {when(refund.refunded_at)} (source: {refund.source}{by}{why}). "
        "Nothing was done."
    )


def refund_done(
    payment: Payment,
    product: Product | None,
    *,
    elsewhere: bool,
    revoked: int,
    granted_instead: Payment | None,
) -> str:
    head = (
        f"Telegram says this charge was already refunded elsewhere; recorded the refund of "
        f"{_paid_for(payment, product)}."
        if elsewhere
        else f"Refunded {_paid_for(payment, product)}."
    )
    if granted_instead is not None:
        other = escape(granted_instead.telegram_payment_charge_id)
        change = (
            f"The buyer keeps it: their other payment for it, <code>{other}</code>, had granted "
            "nothing (already owned) and grants it now, so do not refund that one. The buyer "
            "is told."
        )
    elif revoked:
        change = "The access it gave has ended and the buyer is told."
    else:
        change = "It had granted nothing, so the buyer's access is unchanged; the buyer is told."
    charge = escape(payment.telegram_payment_charge_id)
    return f"{head}\n{change}\nCharge id: <code>{charge}</code>"


def subscription_after_refund(after: SubscriptionAfterRefund, now: datetime) -> str:
    """To the admin, after the refund of a subscription's payment: what became of it."""
    sub = after.subscription
    status = status_of(sub, now)
    match after.outcome:
        case AfterRefund.CANCELED if status.state is SubscriptionState.ENDED:
            return "Its subscription is cancelled and has ended: Telegram will not renew it."
        case AfterRefund.CANCELED:
            return (
                "Its subscription is cancelled: Telegram will not renew it, and the buyer keeps "
                f"the later periods paid for, until {when(status.on)}."
            )
        case AfterRefund.FAILED:
            return (
                "Telegram did not cancel its subscription's renewal "
                f"(“{escape(shorten(after.error or 'no answer', QUOTE_LIMIT))}”): it renews on "
                f"{when(sub.subscription_expiration_date)}. Send the same /refund again to "
                "retry the cancellation; the refund is not repeated."
            )
    match status.state:
        case SubscriptionState.RENEWS:
            return (
                f"The subscription goes on: Telegram renews it on {when(status.on)} (the buyer "
                "can cancel it in /subscriptions)."
            )
        case SubscriptionState.CANCELED:
            return f"The subscription does not renew; it ends on {when(status.on)}."
        case _:
            return f"The subscription ended on {when(status.on)}."


def refund_failed(error: str) -> str:
    return (
        f"The refund failed: Telegram said “{escape(shorten(error, QUOTE_LIMIT))}”. Nothing "
        "changed and the buyer keeps access; try again later."
    )


def refund_outcome_unknown(error: str) -> str:
    return (
        f"Unknown whether Telegram refunded it: {escape(shorten(error, QUOTE_LIMIT))}. "
        "Nothing was recorded, and the buyer keeps access for now. If Telegram did refund, its "
        "refund notice or /reconcile records it and ends the access: wait a minute and send "
        "/reconcile before trying again."
    )


def refund_gave_up(error: str) -> str:
    return (
        f"Telegram kept answering “{escape(shorten(error, QUOTE_LIMIT))}”, so I gave up. "
        "Nothing changed and the buyer keeps access; try again in a few minutes."
    )


def refund_not_recorded(payment: Payment) -> str:
    return (
        f"Telegram refunded {stars(payment.total_amount)} to user {payment.user_id}, but the "
        "database failed to record it. Telegram's refund notice or /reconcile will record it "
        "and end the access."
    )


def refund_question(payment: Payment, product: Product | None) -> str:
    return (
        f"Refund {_paid_for(payment, product)}, paid {when(payment.paid_at)}?\n"
        f"Charge id: <code>{escape(payment.telegram_payment_charge_id)}</code>"
    )


def refund_button_label(payment: Payment, product: Product | None) -> str:
    """Plain text (buttons take no HTML)."""
    title = product.title if product else payment.product_id or "unknown product"
    return f"Refund {title}, {stars(payment.total_amount)}, {payment.paid_at:%Y-%m-%d}"


def reconcile_failed(error: str) -> str:
    return f"Reconciliation failed: {escape(shorten(error, QUOTE_LIMIT))}. Try again in a minute."


def support_prompt(intro: str) -> str:
    tail = f"\n\n{SUPPORT_DESCRIBE}"
    return escape(shorten(intro, MESSAGE_LIMIT - len(tail))) + tail


def support_request(
    user_id: int,
    username: str | None,
    full_name: str,
    description: str,
    payments: Sequence[Payment],
    refunds: dict[str, Refund],
    catalog: Catalog,
) -> str:
    """What an admin gets: who asks, what they wrote, and their recent payments."""
    handle = f" @{escape(username)}" if username else ""
    lines = []
    for p in payments:
        product = catalog.get(p.product_id)
        title = escape(product.title) if product else escape(p.product_id or "unknown product")
        refund = refunds.get(p.telegram_payment_charge_id)
        status = f"refunded {when(refund.refunded_at)}" if refund else "not refunded"
        lines.append(
            f"• {title}, {stars(p.total_amount)}, {when(p.paid_at)}, {status}\n"
            f"  charge id <code>{escape(p.telegram_payment_charge_id)}</code>"
        )
    head = (
        f'📩 Payment support request from <a href="tg://user?id={user_id}">'
        f"{escape(full_name)}</a>{handle}, user id <code>{user_id}</code>:\n\n"
    )
    room = MESSAGE_LIMIT - visible_length(head) - len("\n\n")
    listed = "No payments."
    if lines:
        # The payments may not crowd out the start of the description (SUPPORT_DESCRIPTION_KEPT).
        kept = min(utf16_len(description), SUPPORT_DESCRIPTION_KEPT)
        listed = "Recent payments:\n"
        listed += fit_lines(lines, room - len(listed) - kept)
    # The description gets the room the payments leave, up to SUPPORT_DESCRIPTION_LIMIT.
    room -= visible_length(listed)
    description = shorten(description, min(SUPPORT_DESCRIPTION_LIMIT, room))
    return f"{head}{escape(description)}\n\n{listed}"


# -- a support request already open, and the flood limit ------------------------------------


def support_already_open(opened_at: datetime) -> str:
    return (
        f"We have your request from {opened_at:%H:%M} UTC; a person will answer here. To add "
        "something to it, send it in one message now, or /cancel."
    )


def support_added(opened_at: datetime) -> str:
    return f"Added to your request from {opened_at:%H:%M} UTC; a person will answer here."


def flood_warning(pause: float) -> str:
    """Plain text that also fits a button's alert (ALERT_LIMIT)."""
    return (
        f"You are sending messages faster than I can take them; I will ignore you for "
        f"{pause:g} seconds. Then send one at a time, please."
    )


# -- operators: sales figures, payments, buyers, goodwill, balance, export -----------------

PAYMENTS_USAGE = "Usage: /payments [n], n from 1 to 50 (10 without it): the latest n payments."
USER_USAGE = "Usage: /user &lt;user id or @username&gt;"
GRANT_USAGE = (
    "Usage: /grant &lt;user_id&gt; &lt;product_id&gt; [days]\n"
    "Gives the product without a payment. Without days: a timed product for its own term, "
    "a one-time product forever; days from 1 to 3650."
)
REVOKE_USAGE = (
    "Usage: /revoke &lt;user_id&gt; &lt;product_id&gt;\n"
    "Ends that user's goodwill grants of the product (a payment's access ends by /refund)."
)
STATS_NOTE = (
    "A period counts the payments made in it; refunds: those of them refunded since. "
    "Goodwill grants are not payments and never count."
)
NAME_LIMIT = 100  # the most of a user's name shown


def sales_report(figures: SalesFigures) -> str:
    """What /stats shows (and `python -m bot stats` prints as plain text)."""
    rows = [("period", "payments", "Stars", "refunds", "net Stars")]
    for period in figures.periods:
        totals = period.totals
        rows.append(
            (
                period.name,
                str(totals.payments),
                str(totals.stars),
                str(totals.refunds),
                str(period.net_stars),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    table = "\n".join(
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )
    rates = ", ".join(
        f"{p.name} {_rate(p.refund_rate)} ({p.totals.refunds} of {p.totals.payments})"
        for p in figures.periods[2:]
    )
    head = (
        f"📊 Sales as of {when(figures.as_of)}\n<pre>{escape(table)}</pre>\n"
        f"Refund rate: {rates}.\n{STATS_NOTE}\n\n"
        "Holders now (everything the product gives, bought or granted):\n"
    )
    holders = [f"• {escape(p.title)} (<code>{p.id}</code>): {n}" for p, n in figures.holders]
    return head + fit_lines(holders or ["no products"], MESSAGE_LIMIT - visible_length(head))


def _rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def _title_of(product_id: str | None, catalog: Catalog) -> str:
    product = catalog.get(product_id or "")
    return escape(product.title if product else product_id or "unknown product")


def payments_list(rows: Sequence[tuple[Payment, Refund | None]], catalog: Catalog) -> str:
    if not rows:
        return "No payments yet."
    head = f"The latest {len(rows)} payment(s), newest first:\n"
    lines = []
    for payment, refund in rows:
        status = f", refunded {when(refund.refunded_at)}" if refund else ""
        lines.append(
            f"• {when(payment.paid_at)}, user <code>{payment.user_id}</code>, "
            f"{_title_of(payment.product_id, catalog)}, {stars(payment.total_amount)}{status}\n"
            f"  <code>{escape(payment.telegram_payment_charge_id)}</code>"
        )
    return head + fit_lines(lines, MESSAGE_LIMIT - visible_length(head))


def user_not_found(username: str) -> str:
    return (
        f"Nobody with the username @{escape(shorten(username, 32))} has written to this bot. "
        "Ask for their numeric user id, or try /payments."
    )


def buyer_report(report: BuyerReport, catalog: Catalog) -> str:
    """What /user shows: who, what they paid and got refunded, what they hold, goodwill."""
    known = report.known
    if known is None:
        who = f"👤 User <code>{report.user_id}</code> (has not written to the bot)"
    else:
        handle = f" @{escape(known.username)}" if known.username else ""
        name = escape(shorten(known.full_name, NAME_LIMIT))
        who = f"👤 {name}{handle}, user <code>{report.user_id}</code>"
    totals = report.totals
    head = (
        f"{who}\nPaid {totals.payments} time(s), {stars(totals.stars)}; refunded "
        f"{totals.refunds} ({stars(totals.refunded_stars)}).\n"
    )
    held = [
        f"• {escape(a.key)}, {entitlement_term(a.expires_at)}{_goodwill_mark(a.charge_ids)}"
        for a in report.active
    ]
    text = head + "Holds now:\n" + (fit_lines(held, MESSAGE_LIMIT // 5) if held else "nothing")
    if report.goodwill:
        events = [_goodwill_line(event, catalog) for event in report.goodwill]
        text += "\n\nGoodwill (not revenue):\n" + fit_lines(events, MESSAGE_LIMIT // 5)
    if report.payments:
        lines = []
        for payment, refund in report.payments:
            status = f", refunded {when(refund.refunded_at)}" if refund else ""
            lines.append(
                f"• {_title_of(payment.product_id, catalog)}, {stars(payment.total_amount)}, "
                f"{when(payment.paid_at)}{status}\n"
                f"  <code>{escape(payment.telegram_payment_charge_id)}</code>"
            )
        payments_head = "\n\nPayments, newest first:\n"
        room = MESSAGE_LIMIT - visible_length(text) - len(payments_head)
        text += payments_head + fit_lines(lines, room)
    return text


def _goodwill_mark(charge_ids: Sequence[str]) -> str:
    grants = [c for c in charge_ids if c.startswith("grant:")]
    return f" (goodwill {escape(', '.join(grants))})" if grants else ""


def _goodwill_line(event: GoodwillEvent, catalog: Catalog) -> str:
    title = _title_of(event.product_id, catalog)
    if event.granted:
        term = "forever or its own term" if event.days is None else f"for {event.days} days"
        what = f"granted {title} {term}"
    else:
        what = f"revoked {title}"
    grants = escape(", ".join(event.charge_ids))
    return f"• {when(event.at)}: {what} by admin {event.admin_id} ({grants})"


def unknown_product_for_admin(catalog: Catalog, asked: str) -> str:
    head = f"There is no product {escape(shorten(asked, ASKED_LIMIT))!r}. Products: "
    ids = [f"<code>{p.id}</code>" for p in catalog]
    return head + fit_lines(ids, MESSAGE_LIMIT - visible_length(head) - 1, ", ") + "."


def grant_needs_days(product: Product, user_id: int) -> str:
    return (
        f"{escape(product.title)} is a subscription and has no term of its own: say how many "
        f"days, e.g. <code>/grant {user_id} {product.id} 30</code>."
    )


def grant_done(result: GrantResult, product: Product, user_id: int) -> str:
    head = (
        f"Granted <b>{escape(product.title)}</b> to user <code>{user_id}</code> as goodwill, "
        "without a payment:\n"
    )
    tail = (
        f"\nRecorded as <code>{escape(result.charge_id or '')}</code> with your id; it shows "
        f"in /user {user_id} and never counts as revenue. Undo with "
        f"<code>/revoke {user_id} {product.id}</code>."
    )
    keys = [f"• {escape(g.key)}, {entitlement_term(g.expires_at)}" for g in result.granted]
    room = MESSAGE_LIMIT - visible_length(head) - visible_length(tail)
    return head + fit_lines(keys, room) + tail


def revoke_done(result: RevokeResult, product: Product, user_id: int) -> str:
    title = escape(product.title)
    if result.revoked:
        grants = ", ".join(f"<code>{escape(c)}</code>" for c in result.revoked)
        text = f"Ended the goodwill grant(s) of <b>{title}</b> for user <code>{user_id}</code>: "
        text += f"{grants}."
    else:
        text = (
            f"User <code>{user_id}</code> has no goodwill grant of <b>{title}</b> running; "
            "nothing changed."
        )
    if result.paid:
        head = "\nThey still hold it through payment(s), which only a /refund ends: "
        charges = [f"<code>{escape(c)}</code>" for c in result.paid]
        text += head + fit_lines(charges, MESSAGE_LIMIT - visible_length(text + head), ", ")
    return text


def star_balance(amount: int, nanostars: int | None) -> str:
    fraction = f".{nanostars:09d}".rstrip("0") if nanostars else ""
    return f"The bot's Star balance: {amount}{fraction} ⭐"


def balance_failed(error: str) -> str:
    return (
        f"Could not get the balance: Telegram said “{escape(shorten(error, QUOTE_LIMIT))}”. "
        "Try again in a minute."
    )


def export_caption(rows: int, since: datetime, until: datetime) -> str:
    """A document's caption: at most 1024 characters."""
    return (
        f"{rows} payment(s) from {when(since)} to {when(until)}, one row per charge, with the "
        "refund columns filled where refunded."
    )


def export_empty(since: datetime) -> str:
    return f"No payments since {when(since)}; there is nothing to export."


def export_too_large(megabytes: float) -> str:
    return (
        f"The export is {megabytes:.0f} MB, more than a bot may send (50 MB). On the server, run "
        "<code>python -m bot export --since YYYY-MM-DD payments.csv</code> instead."
    )
