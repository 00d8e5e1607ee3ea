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
        status = f", refunded {when(refunds[p.telegram_payment_charge_id].refunded_at)}" if (
            p.telegram_payment_charge_id in refunds
        ) else ""
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
