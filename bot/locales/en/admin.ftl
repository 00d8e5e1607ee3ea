# The operators' commands: /stats, /payments, /user, /balance, /export and /reconcile, and the
# refusal of anyone else.

# To someone who is not an admin and sends an admin command.
admin-not-allowed = Not allowed: this command is for the shop's admins.
# To someone who is not an admin and presses an admin's button.
admin-not-allowed-alert = Not allowed.
admin-payments-usage = Usage: /payments [n], n from 1 to 50 (10 without it): the latest n payments.
# The angle brackets are HTML entities: keep them as &lt; and &gt;.
admin-user-usage = Usage: /user &lt;user id or @username&gt;

## /stats. The table is in a monospace block: its columns are lined up with spaces.

# The head of the table's columns (keep them short).
admin-stats-period-column = period
admin-stats-payments-column = payments
admin-stats-stars-column = Stars
admin-stats-refunds-column = refunds
admin-stats-net-column = net Stars
# The table's rows, and in the refund rates.
admin-stats-today = today
admin-stats-week = 7 days
admin-stats-month = 30 days
admin-stats-all-time = all time
# A figure in the table.
admin-stats-figure = { $figure }
# A refund rate, e.g. "all time 33.3% (1 of 3)": refunded payments of all payments in a period.
admin-stats-rate = { $period } { $rate } ({ $refunds } of { $payments })
admin-stats-percent = { NUMBER($rate, style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1) }
# The refund rate of a period without payments.
admin-stats-no-rate = –
# $table is the table of figures, $rates the refund rates joined with commas; a line per product follows.
admin-stats =
    📊 Sales as of { $when }
    <pre>{ $table }</pre>
    Refund rate: { $rates }.
    A period counts the payments made in it; refunds: those of them refunded since. Goodwill grants are not payments and never count.

    Holders now (everything the product gives, bought or granted):
# How many users hold everything a product gives.
admin-stats-holder = • { $title } ({ $product }): { $holders }
admin-stats-no-products = no products

## /payments

admin-payments-none = No payments yet.
admin-payments-head = The latest { $count ->
    [one] { $count } payment
   *[other] { $count } payments
}, newest first:
# $refunded is empty or ", refunded <when>"; $charge is the charge id, to copy.
admin-payments-line =
    • { $when }, user <code>{ $user }</code>, { $title }, { $amount }{ $refunded }
    {"  "}{ $charge }

## /user

admin-user-not-found = Nobody with the username @{ $username } has written to this bot. Ask for their numeric user id, or try /payments.
admin-user-unknown = 👤 User <code>{ $user }</code> (has not written to the bot)
admin-user-known = 👤 { $name } @{ $username }, user <code>{ $user }</code>
admin-user-known-no-username = 👤 { $name }, user <code>{ $user }</code>
admin-user-totals = Paid { $payments ->
    [one] { $payments } time
   *[other] { $payments } times
}, { $stars }; refunded { $refunds } ({ $refunded }).
# A list of what the user holds follows.
admin-user-holds = Holds now:
admin-user-holds-nothing = nothing
# After something held: the goodwill grants (ids such as grant:12) that gave it.
admin-user-goodwill-mark = {" "}(goodwill { $grants })
# A list of goodwill grants and revocations follows.
admin-user-goodwill = Goodwill (not revenue):
# A product given for free by /grant: for as long as the product itself gives it.
admin-user-granted = • { $when }: granted { $title } forever or its own term by admin { $admin } ({ $grants })
admin-user-granted-days = • { $when }: granted { $title } for { $days ->
    [one] { $days } day
   *[other] { $days } days
} by admin { $admin } ({ $grants })
admin-user-revoked = • { $when }: revoked { $title } by admin { $admin } ({ $grants })
# A list of the user's payments follows.
admin-user-payments = Payments, newest first:

## /balance

admin-balance = The bot's Star balance: { NUMBER($amount, maximumFractionDigits: 9) } ⭐
admin-balance-failed = Could not get the balance: Telegram said “{ $error }”. Try again in a minute.

## /export: a CSV file of payments.

# The file's caption.
admin-export-caption = { $payments ->
    [one] { $payments } payment
   *[other] { $payments } payments
} from { $since } to { $until }, one row per charge, with the refund columns filled where refunded.
admin-export-empty = No payments since { $since }; there is nothing to export.
# $command is a shell command, to copy.
admin-export-too-large = The export is { $megabytes } MB, more than a bot may send (50 MB). On the server, run { $command } instead.

## /reconcile: Telegram's Star transactions compared with the payments and refunds stored.

admin-reconcile-failed = Reconciliation failed: { $error }. Try again in a minute.
admin-reconcile-read = Reconciliation read { $transactions ->
    [one] { $transactions } new Star transaction
   *[other] { $transactions } new Star transactions
}.
admin-reconcile-nothing-missing = Nothing was missing.
# Charge ids, one a line, follow.
admin-reconcile-recovered-payments = Recovered payments ({ $count }, all in the log):
admin-reconcile-recovered-refunds = Recovered refunds ({ $count }, all in the log):
