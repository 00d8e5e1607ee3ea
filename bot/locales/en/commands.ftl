# The command menus and /help, and the answers to what no feature takes.

command-shop = browse the products
command-buy = buy a product: /buy <product_id>
command-mypurchases = what you own and your receipts
command-subscriptions = your subscriptions: cancel or resume them
command-paysupport = help with a payment
command-terms = terms of sale
command-id = your user id; in a group, the group's id too
command-language = choose the language I speak
command-help = list the commands
command-refund = refund a payment: /refund <charge_id> [reason]
command-reconcile = check Telegram's Star transactions for anything missed
command-stats = sales, refunds and who holds what
command-payments = the latest payments: /payments [n]
command-user = a buyer's payments and access: /user <id or @username>
command-grant = give a product without a payment: /grant <user_id> <product_id> [days]
command-revoke = end a goodwill grant: /revoke <user_id> <product_id>
command-balance = the bot's Star balance
command-export = the last 30 days of payments as a CSV file
command-stock = what is left of products with codes or a stock limit
commands-list = Commands:
commands-unknown = I don't know that command. Send /help to see what I can do.
commands-other-message = Send /shop to see what you can buy, or /help for the commands.
# The same words for every command and everyone: a group learns nothing of who is an admin.
commands-private-chat-only = Please send this command to me in a private chat, not in a group.
commands-private-chat-only-button = Please use this in a private chat with me.
# Plain text that also fits a button's alert (200 characters).
commands-flood-warning = You are sending messages faster than I can take them; I will ignore you for { $seconds ->
    [one] { $seconds } second
   *[other] { $seconds } seconds
}. Then send one at a time, please.
commands-apology = Sorry, something went wrong on our side. Please try again in a minute.
