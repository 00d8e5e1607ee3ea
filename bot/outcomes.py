"""The plain values that services return and texts render: dataclasses and enums with no I/O,
and the pure rules that texts need (`status_of`). Texts import them from here, never from a
service module, so that what the bot says does not depend on how the work is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.catalog import Product
from entitlements import ActiveEntitlement, GrantedKey
from storage import Payment, Refund, Subscription
from storage.models import KnownUser
from storage.reports import Totals

# -- the pre-checkout ----------------------------------------------------------------------


class Refusal(StrEnum):
    FOREIGN_PAYLOAD = "foreign_payload"
    PRODUCT_GONE = "product_gone"
    PRICE_CHANGED = "price_changed"
    AMOUNT_MISMATCH = "amount_mismatch"
    WRONG_CURRENCY = "wrong_currency"
    ALREADY_OWNED = "already_owned"
    ALREADY_SUBSCRIBED = "already_subscribed"
    TEMPORARY = "temporary"
    SOLD_OUT = "sold_out"  # a limited product with nothing left (or all held by other buyers)
    CHAT_UNAVAILABLE = "chat_unavailable"  # the bot cannot let the buyer into its private chat


# -- subscriptions -------------------------------------------------------------------------


class RenewalChange(StrEnum):
    CANCEL = "cancel"
    RESUME = "resume"


class SubscriptionState(StrEnum):
    RENEWS = "renews"  # Telegram charges the next period on `on`
    CANCELED = "canceled"  # no renewal: access runs to `on`
    ENDED = "ended"  # over since `on`


@dataclass(frozen=True)
class Status:
    state: SubscriptionState
    on: datetime


def status_of(subscription: Subscription, now: datetime) -> Status:
    """Where a subscription stands at `now`."""
    if subscription.ended_at is not None:
        return Status(SubscriptionState.ENDED, subscription.ended_at)
    end = subscription.subscription_expiration_date
    if end <= now:
        return Status(SubscriptionState.ENDED, end)
    if subscription.is_canceled:
        return Status(SubscriptionState.CANCELED, end)
    return Status(SubscriptionState.RENEWS, end)


class ChangeStatus(StrEnum):
    DONE = "done"  # Telegram did it; recorded
    NOT_FOUND = "not_found"  # no such subscription of this buyer
    UNCHANGED = "unchanged"  # already so, or ended: Telegram was not asked
    FAILED = "failed"  # Telegram refused or did not answer; nothing changed here


@dataclass(frozen=True)
class ChangeResult:
    status: ChangeStatus
    subscription: Subscription | None = None  # as it stands afterwards
    error: str | None = None  # what Telegram said, for FAILED


class AfterRefund(StrEnum):
    CANCELED = "canceled"  # the refunded first charge's subscription no longer renews
    UNCHANGED = "unchanged"  # nothing to ask Telegram: a renewal, or already cancelled or over
    FAILED = "failed"  # Telegram did not cancel the renewal: it may still renew


@dataclass(frozen=True)
class SubscriptionAfterRefund:
    outcome: AfterRefund
    subscription: Subscription  # as it stands afterwards
    error: str | None = None


# -- an admin's refund ---------------------------------------------------------------------


class AdminRefundStatus(StrEnum):
    REFUNDED = "refunded"  # Telegram refunded it now; recorded and revoked
    REFUNDED_ELSEWHERE = "refunded_elsewhere"  # Telegram: already refunded; recorded as such
    ALREADY_REFUNDED = "already_refunded"  # our records say so; Telegram was not asked
    UNKNOWN_PAYMENT = "unknown_payment"  # no payment with that charge id
    GAVE_UP = "gave_up"  # still 429 after the session's retries; nothing changed
    FAILED = "failed"  # Telegram refused it (a 4xx answer); nothing changed
    # A timeout, network error, 5xx, error page or a False answer: Telegram may have refunded
    # it. Nothing was recorded; its refunded_payment or reconciliation records a refund.
    OUTCOME_UNKNOWN = "outcome_unknown"
    NOT_RECORDED = "not_recorded"  # Telegram refunded it, but the database failed


@dataclass(frozen=True)
class AdminRefundResult:
    status: AdminRefundStatus
    payment: Payment | None = None
    refund: Refund | None = None
    error: str | None = None  # what Telegram (or the network) said, for the admin
    revoked: int = 0  # keys the refunded payment had granted
    granted_instead: Payment | None = None  # the buyer's other payment that now grants


# -- goodwill ------------------------------------------------------------------------------


class GrantStatus(StrEnum):
    GRANTED = "granted"
    NEEDS_DAYS = "needs_days"  # a subscription has no term of its own: say how many days


@dataclass(frozen=True)
class GrantResult:
    status: GrantStatus
    charge_id: str | None = None
    granted: tuple[GrantedKey, ...] = ()


@dataclass(frozen=True)
class RevokeResult:
    revoked: tuple[str, ...]  # the goodwill grants that ended now
    paid: tuple[str, ...]  # payments through which the user still holds the product's keys


@dataclass(frozen=True)
class GoodwillEvent:
    """A grant or a revocation, as `/user` lists it."""

    granted: bool  # False: revoked
    product_id: str
    days: int | None
    admin_id: int | None
    at: datetime
    charge_ids: tuple[str, ...]  # the grant's id, or the grants a revocation ended


# -- buyers and sales ----------------------------------------------------------------------


@dataclass(frozen=True)
class BuyerReport:
    user_id: int
    known: KnownUser | None  # None: never wrote to the bot (or before it kept names)
    totals: Totals  # all their payments, and the refunded ones
    payments: tuple[tuple[Payment, Refund | None], ...]  # newest first, at most a screenful
    active: tuple[ActiveEntitlement, ...]
    goodwill: tuple[GoodwillEvent, ...]


@dataclass(frozen=True)
class PeriodFigures:
    name: str
    totals: Totals

    @property
    def net_stars(self) -> int:
        return self.totals.stars - self.totals.refunded_stars

    @property
    def refund_rate(self) -> float | None:
        """Refunded payments per payment; None without payments."""
        if not self.totals.payments:
            return None
        return self.totals.refunds / self.totals.payments


@dataclass(frozen=True)
class SalesFigures:
    as_of: datetime
    periods: tuple[PeriodFigures, ...]  # today, 7 days, 30 days, all time
    # Each product with how many users hold everything it gives now (bought or granted).
    holders: tuple[tuple[Product, int], ...]


# -- limited stock -------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLine:
    """A product with codes or a stock limit, as /stock shows it."""

    product: Product
    left: int  # for sale now: not sold, not reserved
    sold: int
    reserved: int  # held by accepted pre-checkouts whose payment has not been stored yet


# -- the private chats ---------------------------------------------------------------------


class ChatRight(StrEnum):
    """An administrator right the bot needs in a private chat, by its Bot API name."""

    INVITE_USERS = "can_invite_users"
    RESTRICT_MEMBERS = "can_restrict_members"


class ChatProblemKind(StrEnum):
    UNSEEN = "unseen"  # getChat failed: `detail` is Telegram's failure
    NOT_JOINABLE = "not_joinable"  # no join requests there: `detail` is the chat's type
    RIGHTS_UNKNOWN = "rights_unknown"  # getChatMember failed: `detail` is Telegram's failure
    NOT_ADMIN = "not_admin"  # so the bot has not `right`
    LACKS_RIGHT = "lacks_right"  # an administrator without `right`
    LOST = "lost"  # a removal found the chat gone or the bot out of it: `detail` says which


@dataclass(frozen=True)
class ChatProblem:
    """What keeps the bot from managing a chat; texts say it in the reader's language."""

    kind: ChatProblemKind
    right: ChatRight | None = None
    detail: str = ""  # Telegram's words (in English, as it says them), or the chat's type


@dataclass(frozen=True)
class ChatSetup:
    """What the bot found in one chat: its title, and what keeps it from managing it."""

    chat_id: int
    title: str | None = None
    problems: tuple[ChatProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems
