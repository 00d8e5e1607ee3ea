"""Refunds on an admin's word: /refund <charge id> [reason], the Refund button under a support
request (asked, then confirmed), and /reconcile. Behind the admin gate (`bot.routers.admin`).

The whole story: `Refunds.refund` asks Telegram and records only what it did; for a
subscription's payment, `Renewals.after_refund` then cancels the renewal as the rules say.
Telegram's refunded_payment for the same charge (`bot.routers.refunds`) then changes nothing.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from loguru import logger
from sqlalchemy.exc import SQLAlchemyError

from bot import texts
from bot.catalog import Catalog
from bot.keyboards.refunds import RefundButton, RefundStep, confirm_keyboard
from bot.services.reconcile import Reconciler
from bot.services.refunds import Refunds, parse_refund_args
from bot.services.renewals import Renewals
from bot.telegram.failures import CALL_ERRORS, describe_failure
from storage import utcnow

# What /reconcile may fail with: a call to Telegram, or the database.
RECONCILE_ERRORS: tuple[type[Exception], ...] = (*CALL_ERRORS, SQLAlchemyError)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_refund, Command("refund"))
    router.message.register(cmd_reconcile, Command("reconcile"))
    buttons = router.callback_query
    buttons.register(on_refund_button, RefundButton.filter(F.step == RefundStep.ASK))
    buttons.register(on_refund_confirmed, RefundButton.filter(F.step == RefundStep.CONFIRM))
    buttons.register(on_refund_cancelled, RefundButton.filter(F.step == RefundStep.CANCEL))
    return router


async def cmd_refund(
    message: Message,
    command: CommandObject,
    refunds: Refunds,
    renewals: Renewals,
    catalog: Catalog,
) -> None:
    request = parse_refund_args(command.args)
    if request is None or message.from_user is None:
        await message.answer(texts.refund_usage())
        return
    charge_id, admin_id = request.telegram_payment_charge_id, message.from_user.id
    await message.answer(
        await _refund(refunds, renewals, catalog, charge_id, admin_id, request.reason)
    )


async def on_refund_button(
    query: CallbackQuery, callback_data: RefundButton, refunds: Refunds, catalog: Catalog
) -> None:
    """The Refund button under a support request: ask first, the refund is not undone."""
    payment, refund = await refunds.find_by_id(callback_data.payment_id)
    if payment is None or refund is not None or not isinstance(query.message, Message):
        text = texts.refund_already_alert(refund) if refund else texts.payment_gone()
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    await query.message.answer(
        texts.refund_question(payment, catalog.get(payment.product_id)),
        reply_markup=confirm_keyboard(callback_data.payment_id),
    )


async def on_refund_confirmed(
    query: CallbackQuery,
    callback_data: RefundButton,
    bot: Bot,
    refunds: Refunds,
    renewals: Renewals,
    catalog: Catalog,
) -> None:
    await query.answer(texts.refunding())
    payment, _ = await refunds.find_by_id(callback_data.payment_id)
    if payment is None:
        await _edit_or_send(query, bot, texts.payment_gone())
        return
    charge_id, admin_id = payment.telegram_payment_charge_id, query.from_user.id
    text = await _refund(refunds, renewals, catalog, charge_id, admin_id, "support request")
    await _edit_or_send(query, bot, text)


async def on_refund_cancelled(query: CallbackQuery, bot: Bot) -> None:
    await query.answer()
    await _edit_or_send(query, bot, texts.refund_cancelled())


async def cmd_reconcile(message: Message, reconciler: Reconciler) -> None:
    try:
        report = await reconciler.run()
    except RECONCILE_ERRORS as exc:
        logger.opt(exception=exc).error("/reconcile failed")
        # Telegram's description; any other failure by the name of its kind only.
        error = describe_failure(exc) if isinstance(exc, TelegramAPIError) else type(exc).__name__
        await message.answer(texts.reconcile_failed(error))
        return
    await message.answer(texts.recovered_summary(report.payments, report.refunds, report.seen))


async def _refund(
    refunds: Refunds,
    renewals: Renewals,
    catalog: Catalog,
    charge_id: str,
    admin_id: int,
    reason: str | None,
) -> str:
    """Refund the charge, and for a subscription's payment see to its renewal; what the admin
    is told."""
    result = await refunds.refund(charge_id, admin_id=admin_id, reason=reason)
    text = texts.refund_outcome(result, catalog, charge_id)
    after = await renewals.after_refund(result)
    if after is None:
        return text
    return text + "\n" + texts.subscription_after_refund(after, utcnow())


async def _edit_or_send(query: CallbackQuery, bot: Bot, text: str) -> None:
    """Replace the confirmation (and its buttons) with the outcome."""
    if isinstance(query.message, Message):
        await query.message.edit_text(text)
    else:
        await bot.send_message(query.from_user.id, text)
