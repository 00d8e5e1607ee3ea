"""Telegram's side of Stars payments: invoices, pre-checkout answers, charges, subscriptions
and refunds, as the bot's methods and the user's payments change them."""

from __future__ import annotations

import copy
import secrets
import time

from emulator.models import JSON, Charge, InvoiceLink, SentInvoice, User, bad_request
from emulator.telegram.world import (
    QUERY_TOO_OLD,
    PendingCheckout,
    SpecViolation,
    TelegramWorld,
    unique_query_id,
)

MAX_PAYLOAD_BYTES = 128
# Stars subscriptions: the one period Telegram allows (30 days), and the highest price.
SUBSCRIPTION_PERIOD = 2592000
MAX_SUBSCRIPTION_PRICE = 10000


class PaymentMethods(TelegramWorld):
    """The payment methods of the Bot API, and the payments Telegram makes on a user's behalf."""

    # -- the bot's methods ----------------------------------------------------------------

    def send_invoice(self, params: JSON) -> JSON:
        chat = self.chats.writable_chat(params["chat_id"])
        _check_invoice(params)
        invoice = {
            "title": params["title"],
            "description": params["description"],
            "start_parameter": params.get("start_parameter", ""),
            "currency": params["currency"],
            "total_amount": sum(int(price["amount"]) for price in params["prices"]),
        }
        message = self._send(chat, params, {"invoice": invoice})
        # The Invoice in the message has no payload; keep it to play the user's payment.
        self.invoices.append(
            SentInvoice(
                chat_id=chat.id,
                message_id=message["message_id"],
                title=params["title"],
                description=params["description"],
                payload=params["payload"],
                currency=params["currency"],
                prices=params["prices"],
            )
        )
        return message

    def create_invoice_link(self, params: JSON) -> str:
        """A link anyone may pay; with subscription_period, Telegram renews it every period."""
        _check_invoice(params)
        period = params.get("subscription_period")
        if period is not None:
            _check_subscription(params, period)
        url = "https://t.me/$" + secrets.token_urlsafe(16)
        self.invoice_links[url] = InvoiceLink(
            url=url,
            title=params["title"],
            description=params["description"],
            payload=params["payload"],
            currency=params["currency"],
            prices=params["prices"],
            subscription_period=period,
        )
        return url

    def answer_pre_checkout_query(self, params: JSON) -> bool:
        pending = self.pre_checkouts.get(params["pre_checkout_query_id"])
        if pending is None or pending.expired or pending.answer.done():
            raise bad_request(QUERY_TOO_OLD)
        ok = bool(params["ok"])
        error_message = params.get("error_message")
        if not ok and not error_message:
            raise SpecViolation("error_message is required if ok is False")
        pending.answer.set_result((ok, error_message, time.monotonic()))
        return True

    def edit_user_star_subscription(self, params: JSON) -> bool:
        """Only for the first charge of a subscription, and only the user who pays it."""
        subscription = self.ledger.subscriptions.get(params["telegram_payment_charge_id"])
        if subscription is None:
            raise bad_request("CHARGE_ID_INVALID")
        if subscription.user.id != params["user_id"]:
            raise bad_request("USER_ID_INVALID")
        subscription.canceled_by_bot = bool(params["is_canceled"])
        return True

    def refund_star_payment(self, params: JSON) -> bool:
        charge = self.ledger.refund(params["telegram_payment_charge_id"], params["user_id"])
        self.notify_refund(charge)
        return True

    def get_star_transactions(self, params: JSON) -> JSON:
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        return {"transactions": copy.deepcopy(self.ledger.page(offset, limit))}

    # -- what users and Telegram do ---------------------------------------------------------

    def start_checkout(
        self, user: User, currency: str, amount: int, payload: str, period: int | None = None
    ) -> str:
        """Queue a pre_checkout_query (`period`: of a subscription's invoice link); its
        answer resolves the future of the PendingCheckout under the returned id."""
        query_id = unique_query_id()
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
        }
        self.pre_checkouts[query_id] = PendingCheckout(
            query=query, queued_at=time.monotonic(), subscription_period=period
        )
        self.updates.queue({"pre_checkout_query": query})
        return query_id

    def complete_payment(
        self,
        user: User,
        currency: str,
        amount: int,
        payload: str,
        subscription_period: int | None = None,
    ) -> tuple[Charge, int]:
        """Telegram took the Stars: ledger entry, then the successful_payment message (a
        subscription's first, with `subscription_period`)."""
        charge = self.ledger.record_payment(
            user, amount, payload, currency, subscription_period=subscription_period
        )
        payment = _payment_fields(charge)
        if subscription_period is not None:
            subscription = self.ledger.subscriptions[charge.charge_id]
            payment.update(
                is_recurring=True,
                is_first_recurring=True,
                subscription_expiration_date=subscription.expiration_date,
            )
        return charge, self.deliver_payment(user, payment)

    def renew(self, charge_id: str, *, deliver: bool = True) -> tuple[Charge, int | None]:
        """Telegram charges a subscription's next period: a new charge, and (`deliver`) its
        successful_payment, a recurring one without is_first_recurring."""
        charge, subscription = self.ledger.renew(charge_id)
        if not deliver:
            return charge, None
        payment = _payment_fields(charge)
        payment.update(
            is_recurring=True, subscription_expiration_date=subscription.expiration_date
        )
        return charge, self.deliver_payment(charge.user, payment)

    def deliver_payment(self, user: User, payment: JSON) -> int:
        """The successful_payment message, as an update; its update_id."""
        return self._from_user(user, {"successful_payment": payment})

    def notify_refund(self, charge: Charge) -> int:
        """The refunded_payment message of a refunded charge, as an update; its update_id."""
        return self._from_user(charge.user, {"refunded_payment": _payment_fields(charge)})


def _payment_fields(charge: Charge) -> JSON:
    """What a SuccessfulPayment and a RefundedPayment both say about a charge."""
    return {
        "currency": charge.currency,
        "total_amount": charge.amount,
        "invoice_payload": charge.payload,
        "telegram_payment_charge_id": charge.charge_id,
        "provider_payment_charge_id": charge.provider_charge_id,
    }


def _check_invoice(params: JSON) -> None:
    """The limits the Bot API documents for sendInvoice, and the Stars-specific ones."""
    if not 1 <= len(params["title"]) <= 32:
        raise SpecViolation("title must be 1-32 characters")
    if not 1 <= len(params["description"]) <= 255:
        raise SpecViolation("description must be 1-255 characters")
    if not 1 <= len(str(params["payload"]).encode()) <= MAX_PAYLOAD_BYTES:
        raise SpecViolation(f"payload must be 1-{MAX_PAYLOAD_BYTES} bytes")
    prices = params["prices"]
    if params["currency"] == "XTR":
        if len(prices) != 1:
            raise SpecViolation("prices must contain exactly one item for XTR")
        if params.get("provider_token"):
            raise SpecViolation("provider_token must be empty for XTR")
        if params.get("max_tip_amount") or params.get("suggested_tip_amounts"):
            raise SpecViolation("tips are not supported for XTR")
    if sum(int(price["amount"]) for price in prices) <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        first = markup["inline_keyboard"][0][0] if markup["inline_keyboard"][0] else {}
        if not first.get("pay"):
            raise bad_request("REPLY_MARKUP_BUY_EMPTY")


def _check_subscription(params: JSON, period: object) -> None:
    """A subscription's invoice link: the one period, in Stars, up to the highest price."""
    if period != SUBSCRIPTION_PERIOD:
        raise SpecViolation(
            f"subscription_period must be {SUBSCRIPTION_PERIOD}, got {period}",
            answer="SUBSCRIPTION_PERIOD_INVALID",
        )
    if params["currency"] != "XTR":
        raise SpecViolation(
            "subscription_period needs the currency XTR", answer="CURRENCY_INVALID"
        )
    amount = sum(int(price["amount"]) for price in params["prices"])
    if amount > MAX_SUBSCRIPTION_PRICE:
        raise SpecViolation(
            f"a subscription costs at most {MAX_SUBSCRIPTION_PRICE} Stars, got {amount}",
            answer="SUBSCRIPTION_PRICE_INVALID",
        )
