"""Stars payments as the test plays them: users pay invoices (in two halves, if the test wants),
Telegram renews subscriptions, and refunds are made outside the bot."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from typing import TypedDict, Unpack

from emulator.core import EmulatorCore, MessageLike, as_dict
from emulator.models import JSON, CheckoutResult, InvoiceLink, SentInvoice, User

PAYMENT_ANSWER_TIMEOUT = 10.0


class PaymentTerms(TypedDict, total=False):
    """What `pay` passes on to `pre_checkout`: see there."""

    payload: str | None
    total_amount: int | None
    currency: str | None
    link: str | None
    timeout: float


class PaymentActions(EmulatorCore):
    """Users paying the bot's invoices, and what Telegram does with their Stars after."""

    async def pay(
        self,
        user: User,
        invoice_message: MessageLike | None = None,
        **terms: Unpack[PaymentTerms],
    ) -> CheckoutResult:
        """The user pays an invoice: pre_checkout_query, the bot's answer, then the payment.

        Takes what `pre_checkout` takes.
        """
        answered = await self.pre_checkout(user, invoice_message, **terms)
        if not answered.ok:
            return answered
        return self.complete_payment(answered)

    async def pay_link(
        self, user: User, link: str, *, timeout: float = PAYMENT_ANSWER_TIMEOUT
    ) -> CheckoutResult:
        """The user opens an invoice link (createInvoiceLink) and pays it: a link with a
        subscription_period starts a subscription (see `renew`)."""
        return await self.pay(user, link=link, timeout=timeout)

    async def pre_checkout(
        self,
        user: User,
        invoice_message: MessageLike | None = None,
        *,
        payload: str | None = None,
        total_amount: int | None = None,
        currency: str | None = None,
        link: str | None = None,
        timeout: float = PAYMENT_ANSWER_TIMEOUT,
    ) -> CheckoutResult:
        """The first half of `pay`: the user presses Pay and the bot answers (or not).

        Title, payload, amount and currency come from the invoice the bot sent in
        `invoice_message`, or from the invoice `link` it created; explicit values override
        them (to pay a forged payload or a wrong amount). Telegram gives the bot `timeout`
        seconds to answer. An accepted result is paid with `complete_payment`, later, to
        deliver many payments at once after their pre-checkouts.
        """
        self.add_user(user)
        invoice: SentInvoice | InvoiceLink | None = None
        if invoice_message is not None:
            invoice = self._invoice_of(as_dict(invoice_message))
        elif link is not None:
            invoice = self.telegram.invoice_links.get(link)
            if invoice is None:
                raise ValueError(f"{link} is not an invoice link the bot created")
        payload = payload if payload is not None else (invoice.payload if invoice else None)
        if total_amount is None and invoice is not None:
            total_amount = invoice.total_amount
        currency = currency or (invoice.currency if invoice else "XTR")
        if payload is None or total_amount is None:
            raise ValueError("pay() needs the invoice message, or payload and total_amount")
        period = invoice.subscription_period if isinstance(invoice, InvoiceLink) else None
        query_id = self.telegram.start_checkout(user, currency, total_amount, payload, period)
        pending = self.telegram.pre_checkouts[query_id]
        try:
            ok, error_message, answered_at = await asyncio.wait_for(
                asyncio.shield(pending.answer), timeout
            )
        except TimeoutError:
            pending.expired = True
            self.unanswered_pre_checkouts.append(copy.deepcopy(pending.query))
            return CheckoutResult(False, "timeout", None, None, None)
        answered_in = answered_at - pending.queued_at
        if not ok:
            return CheckoutResult(False, error_message, None, answered_in, None)
        return CheckoutResult(
            True, None, None, answered_in, None, query_id=query_id, subscription_period=period
        )

    def complete_payment(self, accepted: CheckoutResult) -> CheckoutResult:
        """The second half of `pay`: Telegram takes the Stars and sends successful_payment."""
        if not accepted.ok or accepted.query_id is None:
            raise ValueError("only a pre-checkout the bot accepted can be paid")
        pending = self.telegram.pre_checkouts[accepted.query_id]
        query = pending.query
        user = self.telegram.chats.private_chat_of(query["from"]["id"])
        charge, update_id = self.telegram.complete_payment(
            user,
            query["currency"],
            query["total_amount"],
            query["invoice_payload"],
            pending.subscription_period,
        )
        return dataclasses.replace(
            accepted, charge_id=charge.charge_id, successful_payment_update_id=update_id
        )

    def renew(self, charge_id: str, *, deliver: bool = True) -> CheckoutResult:
        """Telegram charges the next period of the subscription `charge_id` belongs to: a new
        charge and Star transaction, and (`deliver`) a successful_payment with is_recurring and
        the new subscription_expiration_date. A subscription the bot cancelled does not renew
        (ValueError)."""
        charge, update_id = self.telegram.renew(charge_id, deliver=deliver)
        return CheckoutResult(
            True,
            None,
            charge.charge_id,
            None,
            update_id,
            subscription_period=charge.subscription_period,
        )

    def pay_while_bot_down(
        self, user: User, payload: str, total_amount: int, currency: str = "XTR"
    ) -> str:
        """A payment Telegram took whose update never reached the bot: ledger only."""
        charge = self.telegram.ledger.record_payment(
            self.add_user(user), total_amount, payload, currency
        )
        return charge.charge_id

    def refund_outside_bot(self, charge_id: str, *, notify: bool = True) -> int | None:
        """A refund made elsewhere (e.g. by Telegram support); returns the update_id."""
        charge = self.telegram.ledger.refund(charge_id)
        return self.telegram.notify_refund(charge) if notify else None

    def _invoice_of(self, message: JSON) -> SentInvoice:
        key = (message["chat"]["id"], message["message_id"])
        for invoice in self.telegram.invoices:
            if (invoice.chat_id, invoice.message_id) == key:
                return invoice
        raise ValueError(f"message {key} is not an invoice the bot sent")
