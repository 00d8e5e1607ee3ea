"""What the bot says, built from plain values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from bot.catalog import Catalog, Product, ProductKind
from entitlements import ActiveEntitlement
from storage.models import Entitlement, Payment, Refund

COMMANDS: dict[str, str] = {
    "shop": "browse the products",
    "buy": "buy a product: /buy <product_id>",
    "mypurchases": "what you own and your receipts",
    "paysupport": "help with a payment",
    "terms": "terms of sale",
    "help": "list the commands",
}
ADMIN_COMMANDS: dict[str, str] = {
    "refund": "refund a payment: /refund <charge_id> [reason]",
    "reconcile": "check Telegram's Star transactions for anything missed",
}


def stars(amount: int) -> str:
    return f"{amount} ⭐"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def product_line(product: Product) -> str:
    gives = ", ".join(product.grants)
    match product.kind:
        case ProductKind.TIMED:
            term = f"for {product.duration_days} days"
        case ProductKind.SUBSCRIPTION:
            term = "monthly subscription, coming soon"
        case _:
            term = "forever"
    return f"<b>{escape(product.title)}</b>: {stars(product.price)}, gives {gives} ({term})"


def welcome(catalog: Catalog) -> str:
    titles = ", ".join(escape(p.title) for p in catalog)
    return (
        f"Welcome! This shop sells digital goods for Telegram Stars: {titles}.\n\n"
        + command_list()
    )


def command_list() -> str:
    lines = [f"/{name}: {escape(about)}" for name, about in COMMANDS.items()]
    return "Commands:\n" + "\n".join(lines)


def shop(catalog: Catalog) -> str:
    lines = [product_line(p) for p in catalog]
    return "What you can buy:\n\n" + "\n".join(lines) + "\n\nPress a button to get an invoice."


def unknown_product(catalog: Catalog, asked: str) -> str:
    ids = ", ".join(f"<code>{p.id}</code>" for p in catalog.for_sale)
    return f"There is no product {escape(asked)!r}. Products you can buy: {ids}."


def buy_usage(catalog: Catalog) -> str:
    ids = ", ".join(f"<code>{p.id}</code>" for p in catalog.for_sale)
    return f"Usage: /buy &lt;product_id&gt;. Products: {ids}."


def already_owned(product: Product) -> str:
    return f"You already own {escape(product.title)}; see /mypurchases."


def not_for_sale(product: Product) -> str:
    return f"{escape(product.title)} cannot be bought yet. See /shop for what is available."


def entitlement_term(expires_at: datetime | None) -> str:
    return "forever" if expires_at is None else f"until {when(expires_at)}"


def payment_confirmation(
    product: Product, granted: Sequence[Entitlement], charge_id: str, *, recovered: bool = False
) -> str:
    head = (
        "We found a payment of yours that had not reached us, and completed it."
        if recovered
        else "Thank you, payment received!"
    )
    items = "\n".join(f"• {escape(e.key)}, {entitlement_term(e.expires_at)}" for e in granted)
    return (
        f"{head}\nYou bought <b>{escape(product.title)}</b> for {stars(product.price)}.\n"
        f"You now have:\n{items}\n\n"
        f"Charge id (quote it to /paysupport): <code>{escape(charge_id)}</code>"
    )


def payment_without_product(amount: int, charge_id: str) -> str:
    return (
        f"We received your payment of {stars(amount)}, but the product is no longer sold. "
        "A person will contact you to refund or replace it.\n"
        f"Charge id: <code>{escape(charge_id)}</code>"
    )


def admin_payment_without_product(user_id: int, payment: Payment) -> str:
    return (
        f"⚠️ Payment of {stars(payment.total_amount)} by user {user_id} for an unknown product "
        f"(payload {escape(payment.invoice_payload)!r}). Nothing was granted: refund it with\n"
        f"<code>/refund {escape(payment.telegram_payment_charge_id)}</code>"
    )


def my_purchases(
    active: Iterable[ActiveEntitlement],
    payments: Sequence[Payment],
    refunds: dict[str, Refund],
    catalog: Catalog,
) -> str:
    owned = [f"• {escape(a.key)}, {entitlement_term(a.expires_at)}" for a in active]
    if not owned and not payments:
        return "You have not bought anything yet. See /shop."
    receipts = []
    for p in payments:
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
    parts = ["You own:\n" + ("\n".join(owned) if owned else "nothing right now")]
    if receipts:
        parts.append("Your payments:\n" + "\n".join(receipts))
    return "\n\n".join(parts)


def refund_notice(payment: Payment, product: Product | None) -> str:
    title = escape(product.title) if product else "your purchase"
    return (
        f"Your payment of {stars(payment.total_amount)} for <b>{title}</b> was refunded to your "
        "Stars balance, and the access it gave has ended.\n"
        f"Charge id: <code>{escape(payment.telegram_payment_charge_id)}</code>"
    )


def recovered_summary(payments: Sequence[str], refunds: Sequence[str], seen: int) -> str:
    lines = [f"Reconciliation read {seen} new Star transaction(s)."]
    if payments:
        lines.append("Recovered payments: " + ", ".join(f"<code>{c}</code>" for c in payments))
    if refunds:
        lines.append("Recovered refunds: " + ", ".join(f"<code>{c}</code>" for c in refunds))
    if not payments and not refunds:
        lines.append("Nothing was missing.")
    return "\n".join(lines)


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
SUPPORT_DESCRIPTION_LIMIT = 2000  # leaves room for the payments within Telegram's 4096


def _paid_for(payment: Payment, product: Product | None) -> str:
    title = escape(product.title) if product else escape(payment.product_id or "unknown product")
    return f"{stars(payment.total_amount)} for <b>{title}</b> to user {payment.user_id}"


def refund_unknown(charge_id: str) -> str:
    return f"No payment with that charge id (<code>{escape(charge_id)}</code>); nothing was done."


def refund_already(refund: Refund) -> str:
    by = f" by admin {refund.admin_id}" if refund.admin_id is not None else ""
    why = f", reason: {escape(refund.reason)}" if refund.reason else ""
    return (
        f"Already refunded on {when(refund.refunded_at)} (source: {refund.source}{by}{why}). "
        "Nothing was done."
    )


def refund_done(payment: Payment, product: Product | None, *, elsewhere: bool = False) -> str:
    head = (
        f"Telegram says this charge was already refunded elsewhere; recorded the refund of "
        f"{_paid_for(payment, product)}."
        if elsewhere
        else f"Refunded {_paid_for(payment, product)}."
    )
    return (
        f"{head}\nThe access it gave has ended and the buyer is told.\n"
        f"Charge id: <code>{escape(payment.telegram_payment_charge_id)}</code>"
    )


def refund_failed(error: str) -> str:
    return (
        f"The refund failed: Telegram said “{escape(error)}”. Nothing changed and the buyer "
        "keeps access; try again later."
    )


def refund_gave_up(error: str) -> str:
    return (
        f"Telegram kept answering “{escape(error)}”, so I gave up. Nothing changed and the "
        "buyer keeps access; try again in a few minutes."
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
    return f"Reconciliation failed: {escape(error)}. Try again in a minute."


def support_prompt(intro: str) -> str:
    return f"{escape(intro)}\n\n{SUPPORT_DESCRIBE}"


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
    if len(description) > SUPPORT_DESCRIPTION_LIMIT:
        description = description[:SUPPORT_DESCRIPTION_LIMIT] + "…"
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
    return (
        f'📩 Payment support request from <a href="tg://user?id={user_id}">'
        f"{escape(full_name)}</a>{handle}, user id <code>{user_id}</code>:\n\n"
        f"{escape(description)}\n\n"
        + ("Recent payments:\n" + "\n".join(lines) if lines else "No payments.")
    )
