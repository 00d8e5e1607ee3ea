"""The command menus and /help, and the answers to what no feature takes: an unknown command,
any other message, a private command in a group, and too many messages."""

from __future__ import annotations

from html import escape

from bot.i18n import t

__all__ = [
    "ADMIN_COMMANDS",
    "BUYER_COMMANDS",
    "admin_commands",
    "apology",
    "buyer_commands",
    "command_list",
    "flood_warning",
    "other_message",
    "private_chat_only",
    "private_chat_only_button",
    "unknown_command",
]

# The commands, in the menu's order; what each does is in the current language.
BUYER_COMMANDS = (
    "shop",
    "buy",
    "mypurchases",
    "subscriptions",
    "paysupport",
    "terms",
    "id",
    "language",
    "help",
)
ADMIN_COMMANDS = (
    "refund",
    "reconcile",
    "stats",
    "payments",
    "user",
    "grant",
    "revoke",
    "balance",
    "export",
    "stock",
)


def buyer_commands() -> dict[str, str]:
    """Each buyer command with what it does, as the menu and /help show it."""
    about = {
        "shop": t("command-shop"),
        "buy": t("command-buy"),
        "mypurchases": t("command-mypurchases"),
        "subscriptions": t("command-subscriptions"),
        "paysupport": t("command-paysupport"),
        "terms": t("command-terms"),
        "id": t("command-id"),
        "language": t("command-language"),
        "help": t("command-help"),
    }
    return {name: about[name] for name in BUYER_COMMANDS}


def admin_commands() -> dict[str, str]:
    """Each admin command with what it does, for the admins' own menu."""
    about = {
        "refund": t("command-refund"),
        "reconcile": t("command-reconcile"),
        "stats": t("command-stats"),
        "payments": t("command-payments"),
        "user": t("command-user"),
        "grant": t("command-grant"),
        "revoke": t("command-revoke"),
        "balance": t("command-balance"),
        "export": t("command-export"),
        "stock": t("command-stock"),
    }
    return {name: about[name] for name in ADMIN_COMMANDS}


def command_list() -> str:
    lines = [f"/{name}: {escape(about)}" for name, about in buyer_commands().items()]
    return t("commands-list") + "\n" + "\n".join(lines)


def unknown_command() -> str:
    return t("commands-unknown")


def other_message() -> str:
    return t("commands-other-message")


def private_chat_only() -> str:
    return t("commands-private-chat-only")


def private_chat_only_button() -> str:
    return t("commands-private-chat-only-button")


def apology() -> str:
    """A failed command's answer: plain text that also fits a button's alert."""
    return t("commands-apology")


def flood_warning(pause: float) -> str:
    """Plain text that also fits a button's alert (ALERT_LIMIT)."""
    seconds = int(pause) if float(pause).is_integer() else pause
    return t("commands-flood-warning", seconds=seconds)
