"""The bot's Telegram Stars account: charges, refunds and the transaction list."""

from __future__ import annotations

import secrets
import time

from emulator.models import JSON, Charge, StarSubscription, User, bad_request


def new_charge_ids() -> tuple[str, str]:
    """A (telegram, provider) charge id pair; Telegram's Stars ids start with "stx"."""
    return "stx" + secrets.token_urlsafe(48), "prov_" + secrets.token_hex(12)


class StarsLedger:
    """Every Stars transaction of the bot, in the order Telegram recorded them."""

    def __init__(self) -> None:
        self.charges: dict[str, Charge] = {}
        self.transactions: list[JSON] = []
        # By the charge id of each one's first payment.
        self.subscriptions: dict[str, StarSubscription] = {}

    @property
    def balance(self) -> int:
        incoming = sum(int(t["amount"]) for t in self.transactions if "source" in t)
        outgoing = sum(int(t["amount"]) for t in self.transactions if "receiver" in t)
        return incoming - outgoing

    def record_payment(
        self,
        user: User,
        amount: int,
        payload: str,
        currency: str,
        *,
        subscription_period: int | None = None,
    ) -> Charge:
        """A payment; with `subscription_period`, the first of a new subscription."""
        charge = self._charge(user, amount, payload, currency, subscription_period)
        if subscription_period is not None:
            charge.subscription_id = charge.charge_id
            self.subscriptions[charge.charge_id] = StarSubscription(
                first_charge_id=charge.charge_id,
                user=user,
                amount=amount,
                payload=payload,
                currency=currency,
                period=subscription_period,
                expiration_date=charge.date + subscription_period,
                charge_ids=[charge.charge_id],
            )
        return charge

    def renew(self, charge_id: str) -> tuple[Charge, StarSubscription]:
        """Telegram charges the next period of the subscription `charge_id` belongs to."""
        charge = self.charges.get(charge_id)
        subscription = self.subscriptions.get(charge.subscription_id or "") if charge else None
        if subscription is None:
            raise ValueError(f"{charge_id} is not a subscription's charge")
        if subscription.canceled_by_bot:
            raise ValueError("the bot cancelled this subscription: Telegram does not renew it")
        renewal = self._charge(
            subscription.user,
            subscription.amount,
            subscription.payload,
            subscription.currency,
            subscription.period,
        )
        renewal.subscription_id = subscription.first_charge_id
        subscription.expiration_date += subscription.period
        subscription.charge_ids.append(renewal.charge_id)
        return renewal, subscription

    def _charge(
        self, user: User, amount: int, payload: str, currency: str, period: int | None
    ) -> Charge:
        charge_id, provider_charge_id = new_charge_ids()
        charge = Charge(
            charge_id=charge_id,
            provider_charge_id=provider_charge_id,
            user=user,
            amount=amount,
            payload=payload,
            currency=currency,
            date=int(time.time()),
            subscription_period=period,
        )
        self.charges[charge_id] = charge
        self.transactions.append(
            {
                "id": charge_id,
                "amount": amount,
                "date": charge.date,
                "source": _user_partner(charge),
            }
        )
        return charge

    def refund(self, charge_id: str, user_id: int | None = None) -> Charge:
        """Refund a charge as refundStarPayment does; raises Telegram's 400 errors."""
        charge = self.charges.get(charge_id)
        if charge is None:
            raise bad_request("CHARGE_NOT_FOUND")
        if user_id is not None and charge.user_id != user_id:
            raise bad_request("USER_ID_INVALID")
        if charge.refunded:
            raise bad_request("CHARGE_ALREADY_REFUNDED")
        charge.refunded = True
        # A refund is an outgoing transaction that reuses the original transaction's id.
        self.transactions.append(
            {
                "id": charge.charge_id,
                "amount": charge.amount,
                "date": int(time.time()),
                "receiver": _user_partner(charge),
            }
        )
        return charge

    def page(self, offset: int, limit: int) -> list[JSON]:
        """getStarTransactions: skip `offset`, return at most `limit`, oldest first."""
        if not 1 <= limit <= 100:
            raise bad_request("limit must be between 1 and 100")
        if offset < 0:
            raise bad_request("offset must be non-negative")
        return self.transactions[offset : offset + limit]


def _user_partner(charge: Charge) -> JSON:
    partner: JSON = {
        "type": "user",
        "transaction_type": "invoice_payment",
        "user": charge.user.to_dict(),
        "invoice_payload": charge.payload,
    }
    if charge.subscription_period is not None:
        partner["subscription_period"] = charge.subscription_period
    return partner
