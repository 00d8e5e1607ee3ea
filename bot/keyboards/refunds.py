"""The admins' Refund buttons: one per payment under a support request, then Confirm refund
or Cancel."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts
from bot.catalog import Catalog
from storage import Payment


class RefundStep(StrEnum):
    ASK = "ask"  # the Refund button under a support request
    CONFIRM = "confirm"
    CANCEL = "cancel"


class RefundButton(CallbackData, prefix="adm"):
    """`adm:<step>:<payment row id>`; a Stars charge id alone can outgrow the 64 bytes."""

    step: RefundStep
    payment_id: int


def refund_keyboard(payments: Sequence[Payment], catalog: Catalog) -> InlineKeyboardMarkup | None:
    """A Refund button per payment, or None when there is none."""
    if not payments:
        return None
    builder = InlineKeyboardBuilder()
    for payment in payments:
        assert payment.id is not None
        builder.button(
            text=texts.refund_button_label(payment, catalog.get(payment.product_id)),
            callback_data=RefundButton(step=RefundStep.ASK, payment_id=payment.id),
        )
    builder.adjust(1)
    return builder.as_markup()


def confirm_keyboard(payment_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=texts.confirm_refund_button(),
        callback_data=RefundButton(step=RefundStep.CONFIRM, payment_id=payment_id),
    )
    builder.button(
        text=texts.cancel_button(),
        callback_data=RefundButton(step=RefundStep.CANCEL, payment_id=payment_id),
    )
    return builder.as_markup()
