"""Tables of what buyers receive beyond a key: codes, units of limited stock, membership of the
private chats the bot manages, uploaded files, and the side effects owed on them (a member to
remove, a payment to refund), each recorded before it is done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.models import TelegramId, timestamp

# The rows of a side effect still owed: not done, not given up (parked) and not dropped.
REMOVAL_PENDING = "done_at IS NULL AND dropped_at IS NULL AND parked_at IS NULL"
REFUND_PENDING = "done_at IS NULL AND parked_at IS NULL"
CODE_UNSOLD = "telegram_payment_charge_id IS NULL"
UNIT_SOLD = "returned_at IS NULL"


class Code(SQLModel, table=True):
    """One code of a product's stock (a licence key, a voucher): unsold until a payment takes
    it, in the transaction that stores the payment. A code is a secret: it is shown to its
    buyer only, never logged, never exported in full. A refunded sale marks it revoked and does
    not put it back on sale, because the buyer has seen it."""

    __tablename__ = "codes"
    __table_args__ = (
        UniqueConstraint("product_id", "code", name="uq_codes_product_code"),
        UniqueConstraint("telegram_payment_charge_id", name="uq_codes_telegram_payment_charge_id"),
        # Partial: the next code to sell, found without reading the sold ones.
        Index(
            "ix_codes_unsold",
            "product_id",
            "id",
            sqlite_where=text(CODE_UNSOLD),
            postgresql_where=text(CODE_UNSOLD),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: str
    code: str = Field(sa_column=Column(Text, nullable=False))
    added_at: datetime = timestamp()
    # The payment that took it; None while it is for sale.
    telegram_payment_charge_id: str | None = None
    user_id: int | None = Field(default=None, sa_type=TelegramId)
    sold_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)


class StockSale(SQLModel, table=True):
    """One unit of a product sold with `stock = N`: at most N rows of a product are not
    returned. A refund returns the unit (`returned_at`)."""

    __tablename__ = "stock_sales"
    __table_args__ = (
        UniqueConstraint(
            "telegram_payment_charge_id", name="uq_stock_sales_telegram_payment_charge_id"
        ),
        Index(
            "ix_stock_sales_sold",
            "product_id",
            sqlite_where=text(UNIT_SOLD),
            postgresql_where=text(UNIT_SOLD),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: str
    telegram_payment_charge_id: str
    user_id: int = Field(sa_type=TelegramId)
    sold_at: datetime = timestamp()
    returned_at: datetime | None = timestamp(nullable=True)


class OwedRefund(SQLModel, table=True):
    """A payment the bot must give back by itself (it came when nothing was left to sell),
    recorded in the transaction that stores the payment, then made with refundStarPayment by a
    worker until Telegram answers, once."""

    __tablename__ = "owed_refunds"
    __table_args__ = (
        UniqueConstraint(
            "telegram_payment_charge_id", name="uq_owed_refunds_telegram_payment_charge_id"
        ),
        Index(
            "ix_owed_refunds_due",
            "next_attempt_at",
            sqlite_where=text(REFUND_PENDING),
            postgresql_where=text(REFUND_PENDING),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    telegram_payment_charge_id: str
    user_id: int = Field(sa_type=TelegramId)
    total_amount: int
    reason: str  # why: "sold_out", ...
    created_at: datetime = timestamp()
    attempts: int = 0
    next_attempt_at: datetime = timestamp()
    done_at: datetime | None = timestamp(nullable=True)
    # Given up on: Telegram refused it for good; a person looks at `last_error`.
    parked_at: datetime | None = timestamp(nullable=True)
    last_error: str | None = None


class AdmittedMember(SQLModel, table=True):
    """A member the bot let into a private chat it manages (it approved the join request). The
    bot removes only these: never the owner, the administrators, or anyone who was there
    before it managed the chat."""

    __tablename__ = "admitted_members"

    chat_id: int = Field(
        primary_key=True, sa_type=TelegramId, sa_column_kwargs={"autoincrement": False}
    )
    user_id: int = Field(
        primary_key=True, sa_type=TelegramId, sa_column_kwargs={"autoincrement": False}
    )
    admitted_at: datetime = timestamp()
    # Set once the bot removed them (or saw them leave); cleared when it admits them again.
    removed_at: datetime | None = timestamp(nullable=True)


class AccessRemoval(SQLModel, table=True):
    """A member the bot owes removing from a chat, recorded before it is done: it survives a
    restart and is done once. Dropped if the member holds a key for the chat again first."""

    __tablename__ = "access_removals"
    __table_args__ = (
        # At most one removal owed per member of a chat: recording it twice is a no-op.
        Index(
            "uq_access_removals_pending",
            "chat_id",
            "user_id",
            unique=True,
            sqlite_where=text(REMOVAL_PENDING),
            postgresql_where=text(REMOVAL_PENDING),
        ),
        Index(
            "ix_access_removals_due",
            "due_at",
            sqlite_where=text(REMOVAL_PENDING),
            postgresql_where=text(REMOVAL_PENDING),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=TelegramId)
    user_id: int = Field(sa_type=TelegramId)
    reason: str  # "expired", "refunded", "revoked"
    due_at: datetime = timestamp()  # an expiry waits ACCESS_GRACE; a refund is due at once
    created_at: datetime = timestamp()
    attempts: int = 0
    done_at: datetime | None = timestamp(nullable=True)
    dropped_at: datetime | None = timestamp(nullable=True)  # the key was granted again
    parked_at: datetime | None = timestamp(nullable=True)  # the chat is gone, or the bot
    last_error: str | None = None


class TelegramFile(SQLModel, table=True):
    """A file of the catalog as Telegram knows it: uploaded once, then sent by `file_id`. A
    changed file (another sha256) is uploaded again, and so is one whose file_id Telegram
    refuses (the row is replaced)."""

    __tablename__ = "uploaded_files"
    __table_args__ = (UniqueConstraint("path", "sha256", name="uq_uploaded_files_path_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str
    file_id: str
    uploaded_at: datetime = timestamp()
