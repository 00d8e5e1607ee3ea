"""Admin commands and buttons: /refund, /reconcile, and the Refund button of support requests
(the commands for running the shop are in `bot.routers.admin_tools`).

Everything here is behind `IsAdmin` on the router; anyone else who tries an admin command or
an `adm:` button is told "not allowed" once, by the refusal handlers after it.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from loguru import logger
from sqlalchemy.exc import SQLAlchemyError

from bot import texts
from bot.catalog import Catalog
from bot.filters import IsAdmin
from bot.keyboards.refunds import RefundButton, RefundStep, confirm_keyboard
from bot.outcomes import AdminRefundResult, AdminRefundStatus
from bot.routers import admin_tools
from bot.services.reconcile import Reconciler
from bot.services.refunds import find_payment_by_id, parse_refund_args, refund_payment
from bot.services.renewals import end_after_refund
from storage import SessionFactory, Writer, utcnow
from storage.locks import Locks

ADMIN_BUTTON_PREFIX = f"{RefundButton.__prefix__}:"


def create_router() -> Router:
    admins = Router(name=f"{__name__}.admins")
    admins.message.filter(IsAdmin())
    admins.callback_query.filter(IsAdmin())
    admins.message.register(cmd_refund, Command("refund"))
    admins.message.register(cmd_reconcile, Command("reconcile"))
    admins.callback_query.register(on_refund_button, RefundButton.filter(F.step == RefundStep.ASK))
    admins.callback_query.register(
        on_refund_confirmed, RefundButton.filter(F.step == RefundStep.CONFIRM)
    )
    admins.callback_query.register(
        on_refund_cancelled, RefundButton.filter(F.step == RefundStep.CANCEL)
    )
    # Reached by whoever the filter above turned away (or by a malformed `adm:` button).
    others = Router(name=f"{__name__}.others")
    others.message.register(refuse_command, Command(*texts.ADMIN_COMMANDS))
    others.callback_query.register(refuse_button, F.data.startswith(ADMIN_BUTTON_PREFIX))
    router = Router(name=__name__)
    # The refusals last: an admin's command must reach its handler in any admin router first.
    router.include_routers(admins, admin_tools.create_router(), others)
    return router


async def cmd_refund(
    message: Message,
    command: CommandObject,
    bot: Bot,
    writer: Writer,
    readers: SessionFactory,
    locks: Locks,
    catalog: Catalog,
) -> None:
    request = parse_refund_args(command.args)
    if request is None or message.from_user is None:
        await message.answer(texts.REFUND_USAGE)
        return
    result = await refund_payment(
        bot,
        writer,
        readers,
        locks,
        catalog,
        request.telegram_payment_charge_id,
        admin_id=message.from_user.id,
        reason=request.reason,
    )
    text = texts.refund_outcome(result, catalog, request.telegram_payment_charge_id)
    await message.answer(text + await _after_refund(bot, writer, readers, result))


async def on_refund_button(
    query: CallbackQuery, callback_data: RefundButton, readers: SessionFactory, catalog: Catalog
) -> None:
    """The Refund button under a support request: ask first, the refund is not undone."""
    payment, refund = await find_payment_by_id(readers, callback_data.payment_id)
    if payment is None or refund is not None or not isinstance(query.message, Message):
        text = texts.refund_already_alert(refund) if refund else texts.PAYMENT_GONE
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
    writer: Writer,
    readers: SessionFactory,
    locks: Locks,
    catalog: Catalog,
) -> None:
    await query.answer(texts.REFUNDING)
    payment, _ = await find_payment_by_id(readers, callback_data.payment_id)
    if payment is None:
        await _edit_or_send(query, bot, texts.PAYMENT_GONE)
        return
    charge_id = payment.telegram_payment_charge_id
    result = await refund_payment(
        bot,
        writer,
        readers,
        locks,
        catalog,
        charge_id,
        admin_id=query.from_user.id,
        reason="support request",
    )
    text = texts.refund_outcome(result, catalog, charge_id)
    await _edit_or_send(query, bot, text + await _after_refund(bot, writer, readers, result))


async def on_refund_cancelled(query: CallbackQuery, bot: Bot) -> None:
    await query.answer()
    await _edit_or_send(query, bot, texts.REFUND_CANCELLED)


async def cmd_reconcile(message: Message, reconciler: Reconciler) -> None:
    try:
        report = await reconciler.run()
    except (TelegramAPIError, ClientDecodeError, SQLAlchemyError, TimeoutError) as exc:
        logger.opt(exception=exc).error("/reconcile failed")
        error = exc.message if isinstance(exc, TelegramAPIError) else type(exc).__name__
        await message.answer(texts.reconcile_failed(error))
        return
    await message.answer(texts.recovered_summary(report.payments, report.refunds, report.seen))


async def refuse_command(message: Message) -> None:
    logger.warning("user {} is not an admin: refused {!r}", _user_id(message), message.text)
    await message.answer(texts.NOT_ALLOWED)


async def refuse_button(query: CallbackQuery) -> None:
    logger.warning("user {} is not an admin: refused button {!r}", query.from_user.id, query.data)
    await query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True)


async def _after_refund(
    bot: Bot, writer: Writer, readers: SessionFactory, result: AdminRefundResult
) -> str:
    """A refunded subscription's payment: cancel the renewal as the rules say (see
    `end_after_refund`), and a line for the admin on what became of the subscription."""
    refunded = (
        AdminRefundStatus.REFUNDED,
        AdminRefundStatus.REFUNDED_ELSEWHERE,
        AdminRefundStatus.ALREADY_REFUNDED,  # sending /refund again retries a cancellation
    )
    if result.payment is None or result.status not in refunded:
        return ""
    after = await end_after_refund(bot, writer, readers, result.payment)
    return "" if after is None else "\n" + texts.subscription_after_refund(after, utcnow())


async def _edit_or_send(query: CallbackQuery, bot: Bot, text: str) -> None:
    """Replace the confirmation (and its buttons) with the outcome."""
    if isinstance(query.message, Message):
        await query.message.edit_text(text)
    else:
        await bot.send_message(query.from_user.id, text)


def _user_id(message: Message) -> int | None:
    return message.from_user.id if message.from_user else None
