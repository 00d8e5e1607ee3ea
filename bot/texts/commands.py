"""The command menus and /help, and the answers to what no feature takes: an unknown command,
any other message, a private command in a group, and too many messages."""

from __future__ import annotations

from html import escape

__all__ = [
    "ADMIN_COMMANDS",
    "COMMANDS",
    "OTHER_MESSAGE",
    "PRIVATE_CHAT_ONLY",
    "PRIVATE_CHAT_ONLY_BUTTON",
    "UNKNOWN_COMMAND",
    "command_list",
    "flood_warning",
]


COMMANDS: dict[str, str] = {
    "shop": "browse the products",
    "buy": "buy a product: /buy <product_id>",
    "mypurchases": "what you own and your receipts",
    "subscriptions": "your subscriptions: cancel or resume them",
    "paysupport": "help with a payment",
    "terms": "terms of sale",
    "id": "your user id; in a group, the group's id too",
    "help": "list the commands",
}
ADMIN_COMMANDS: dict[str, str] = {
    "refund": "refund a payment: /refund <charge_id> [reason]",
    "reconcile": "check Telegram's Star transactions for anything missed",
    "stats": "sales, refunds and who holds what",
    "payments": "the latest payments: /payments [n]",
    "user": "a buyer's payments and access: /user <id or @username>",
    "grant": "give a product without a payment: /grant <user_id> <product_id> [days]",
    "revoke": "end a goodwill grant: /revoke <user_id> <product_id>",
    "balance": "the bot's Star balance",
    "export": "the last 30 days of payments as a CSV file",
    "stock": "what is left of products with codes or a stock limit",
}
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
OTHER_MESSAGE = "Send /shop to see what you can buy, or /help for the commands."
# The same words for every command and everyone: a group learns nothing of who is an admin.
PRIVATE_CHAT_ONLY = "Please send this command to me in a private chat, not in a group."
PRIVATE_CHAT_ONLY_BUTTON = "Please use this in a private chat with me."


def command_list() -> str:
    lines = [f"/{name}: {escape(about)}" for name, about in COMMANDS.items()]
    return "Commands:\n" + "\n".join(lines)


def flood_warning(pause: float) -> str:
    """Plain text that also fits a button's alert (ALERT_LIMIT)."""
    return (
        f"You are sending messages faster than I can take them; I will ignore you for "
        f"{pause:g} seconds. Then send one at a time, please."
    )
