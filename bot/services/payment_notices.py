"""What a stored payment owes people: the buyer's confirmation (with the code it took and a
Join button per private chat it unlocks), or, for a payment that granted nothing, a word to the
buyer and to every admin saying how to refund it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot import texts
from bot.catalog import Product
from bot.keyboards.access import join_markup
from bot.services.languages import Recipients
from bot.services.subscriptions import SubscriptionPayment
from entitlements import GrantedKey
from storage import OutboxPriority, Payment
from storage.repositories import Row, outbox_row


def confirmation(
    user_id: int,
    charge_id: str,
    product: Product,
    amount: int,
    granted: Sequence[GrantedKey],
    period: SubscriptionPayment | None,
    *,
    recovered: bool,
    code: str | None,
    join_links: Sequence[tuple[str, str]],
    now: datetime,
) -> Row:
    """The buyer's confirmation of what the payment gave; `recovered`: found after the fact
    (reconciliation), not reported by Telegram at the time."""
    if period is None:
        text = texts.payment_confirmation(
            product, granted, charge_id, recovered=recovered, secret=code
        )
    else:
        text = texts.subscription_confirmation(
            product,
            amount,
            granted,
            charge_id,
            first=period.first,
            renews_on=period.expiration,
            recovered=recovered,
        )
    return outbox_row(
        user_id,
        text,
        priority=OutboxPriority.PAYMENT_NOTICE,
        dedupe_key=f"payment:{charge_id}",
        reply_markup=join_markup(join_links),
        now=now,
    )


def referral(
    payment: Payment, product: Product | None, admin_ids: Sequence[int], recipients: Recipients
) -> list[Row]:
    """A payment that granted nothing: tell the buyer, and every admin how to refund it, each
    in their language."""
    charge_id = payment.telegram_payment_charge_id

    def to_buyer() -> str:
        if product is None:
            return texts.payment_without_product(payment.total_amount, charge_id)
        return texts.payment_already_owned(product, charge_id)

    def to_admins() -> str:
        if product is None:
            return texts.admin_payment_without_product(payment.user_id, payment)
        return texts.admin_payment_already_owned(payment, product)

    messages = [
        outbox_row(
            payment.user_id,
            recipients.render(payment.user_id, to_buyer),
            priority=OutboxPriority.PAYMENT_NOTICE,
            dedupe_key=f"payment:{charge_id}",
        )
    ]
    messages += [
        outbox_row(
            admin,
            recipients.render(admin, to_admins),
            priority=OutboxPriority.ADMIN_NOTICE,
            dedupe_key=f"payment-alert:{charge_id}:{admin}",
        )
        for admin in admin_ids
    ]
    return messages
