"""Private groups and channels: the Join buttons, a join request from someone without the key,
and what the set-up checks find."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.catalog import Product
from bot.i18n import t
from bot.limits import fit_message, shorten
from bot.outcomes import ChatProblem, ChatProblemKind, ChatRight, ChatSetup
from bot.texts.common import product_line

__all__ = [
    "admin_access_setup",
    "admin_chat_lost",
    "chat_problem",
    "chat_right",
    "chat_setup_name",
    "chat_unavailable",
    "join_button",
    "join_refused",
]

# A chat's title as a button label, or in a line: Telegram allows 128 characters.
TITLE_LIMIT = 40


def chat_unavailable() -> str:
    """The pre-checkout refusal of a product whose chat the bot cannot manage (plain text)."""
    return t("access-chat-unavailable")


def join_button(title: str) -> str:
    """Plain text (buttons take no HTML)."""
    return t("access-join-button", title=shorten(title, TITLE_LIMIT))


def join_refused(title: str, products: Sequence[Product]) -> str:
    """To someone who asked to join a chat without holding a key for it."""
    title = escape(shorten(title, TITLE_LIMIT))
    if not products:
        return t("access-closed", title=title)
    head = t("access-join-refused", title=title) + "\n\n"
    return fit_message(head, [product_line(p) for p in products])


def chat_right(right: ChatRight) -> str:
    """A right the bot needs, as a person finds it in Telegram, with its Bot API name."""
    return t("access-right", right=str(right))


def chat_setup_name(setup: ChatSetup) -> str:
    """The chat as a person recognises it in a line of the set-up checks (plain text)."""
    if setup.title:
        return t("access-setup-chat", id=str(setup.chat_id), title=setup.title)
    return t("access-setup-chat-untitled", id=str(setup.chat_id))


def chat_problem(problem: ChatProblem) -> str:
    """What keeps the bot from managing a chat (plain text): `bot check` prints it in English,
    the admins read it in theirs."""
    right = chat_right(problem.right) if problem.right else ""
    match problem.kind:
        case ChatProblemKind.UNSEEN:
            return t("access-problem-unseen", failure=problem.detail)
        case ChatProblemKind.NOT_JOINABLE:
            return t("access-problem-not-joinable", type=problem.detail)
        case ChatProblemKind.RIGHTS_UNKNOWN:
            return t("access-problem-rights-unknown", failure=problem.detail)
        case ChatProblemKind.NOT_ADMIN:
            return t("access-problem-not-admin", right=right)
        case ChatProblemKind.LACKS_RIGHT:
            return t("access-problem-lacks-right", right=right)
        case ChatProblemKind.LOST:
            return t("access-problem-lost", failure=problem.detail)


def admin_access_setup(setups: Sequence[ChatSetup]) -> str:
    """At start: the private chats the bot cannot manage, one line per missing right."""
    head = t("access-setup-head") + "\n"
    lines = [
        t(
            "access-setup-problem",
            chat=escape(chat_setup_name(setup)),
            problem=escape(chat_problem(problem)),
        )
        for setup in setups
        for problem in setup.problems
    ]
    return fit_message(head, lines)


def admin_chat_lost(chat_id: int, title: str | None, error: str) -> str:
    """A chat the bot can no longer remove members from: gone, or the bot was removed."""
    if title:
        chat = t("access-chat-titled", title=escape(shorten(title, TITLE_LIMIT)), id=str(chat_id))
    else:
        chat = str(chat_id)
    return t("access-chat-lost", chat=chat, error=escape(shorten(error, 200)))
