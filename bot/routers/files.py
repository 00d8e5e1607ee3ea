"""The "Send my files again" button under /mypurchases: a key's files (and text) once more,
for a buyer who holds the key now."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from bot import texts
from bot.filters import InPrivateChat
from bot.keyboards.files import ResendFilesButton
from bot.services.deliveries import Deliveries, Resend

ANSWERS = {
    Resend.QUEUED: texts.files_queued,
    Resend.TOO_SOON: texts.files_too_soon,
    Resend.NOT_HELD: texts.files_not_held,
    Resend.NOTHING: texts.files_nothing,
}


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.filter(InPrivateChat())  # a buyer's own files; in a group: private_only
    router.callback_query.register(on_resend_files, ResendFilesButton.filter())
    return router


async def on_resend_files(
    query: CallbackQuery, callback_data: ResendFilesButton, deliveries: Deliveries
) -> None:
    outcome = await deliveries.send_again(query.from_user.id, callback_data.key)
    await query.answer(ANSWERS[outcome](), show_alert=outcome is not Resend.QUEUED)
