# Refunds: an admin's /refund and Refund button, what became of a refunded subscription, and
# the buyer's notice.

# The answer to /refund without a charge id.
refunds-usage =
    Usage: /refund &lt;telegram_payment_charge_id&gt; [reason]
    The charge id is on the buyer's receipt and in their /paysupport request.
# The admin pressed Cancel under "Refund …?".
refunds-cancelled = Refund cancelled; nothing changed.
# The payment behind a Refund button is gone: an alert, or the message that replaces "Refund …?".
refunds-payment-gone-alert = There is no such payment any more; nothing was done.
# The button under "Refund …?" that refunds.
refunds-confirm-button = Confirm refund
# The alert while Telegram is asked, after Confirm refund.
refunds-refunding-alert = Refunding…

## To the buyer, queued when their payment is refunded. $amount is in Stars; $title is the
## product's title, or refunds-notice-your-purchase; $charge and $other are charge ids.

refunds-notice-your-purchase = your purchase
# Another payment of theirs for it, which had given nothing (already owned), gives it now.
refunds-notice-kept =
    Your payment of { $amount } for <b>{ $title }</b> was refunded to your Stars balance.
    You keep <b>{ $title }</b>: your other payment for it (charge id { $other }), which we had said a person would refund, now gives it to you instead.
    Charge id: { $charge }
refunds-notice-ended =
    Your payment of { $amount } for <b>{ $title }</b> was refunded to your Stars balance, and the access it gave has ended.
    Charge id: { $charge }
refunds-notice-nothing-held =
    Your payment of { $amount } for <b>{ $title }</b> was refunded to your Stars balance. It had not given you anything, so what you own stays as it is.
    Charge id: { $charge }

## To the admin who refunds. $user is the buyer's user id.

# /refund with a charge id no payment has.
refunds-unknown = No payment with that charge id (<code>{ $charge }</code>); nothing was done.
# Plain text, also a button's alert. $source is how the refund became known (admin, telegram,
# reconcile, elsewhere, sold_out), kept as it is stored; $admin is the admin's user id.
refunds-already = Already refunded on { $when } (source: { $source }). Nothing was done.
refunds-already-by-admin = Already refunded on { $when } (source: { $source } by admin { $admin }). Nothing was done.
refunds-already-with-reason = Already refunded on { $when } (source: { $source }, reason: { $reason }). Nothing was done.
refunds-already-by-admin-with-reason = Already refunded on { $when } (source: { $source } by admin { $admin }, reason: { $reason }). Nothing was done.
# The first line of what the admin is told after a refund; the next says what changed.
refunds-done = Refunded { $amount } for <b>{ $title }</b> to user { $user }.
refunds-done-elsewhere = Telegram says this charge was already refunded elsewhere; recorded the refund of { $amount } for <b>{ $title }</b> to user { $user }.
# $other is the charge id of the buyer's other payment for the product.
refunds-done-kept = The buyer keeps it: their other payment for it, { $other }, had granted nothing (already owned) and grants it now, so do not refund that one. The buyer is told.
refunds-done-ended = The access it gave has ended and the buyer is told.
refunds-done-nothing-held = It had granted nothing, so the buyer's access is unchanged; the buyer is told.
# The last line, under a refund's outcome.
refunds-charge = Charge id: { $charge }
# $error is what Telegram answered, or one of the refunds-error- messages.
refunds-failed = The refund failed: Telegram said “{ $error }”. Nothing changed and the buyer keeps access; try again later.
refunds-outcome-unknown = Unknown whether Telegram refunded it: { $error }. Nothing was recorded, and the buyer keeps access for now. If Telegram did refund, its refund notice or /reconcile records it and ends the access: wait a minute and send /reconcile before trying again.
refunds-gave-up = Telegram kept answering “{ $error }”, so I gave up. Nothing changed and the buyer keeps access; try again in a few minutes.
refunds-not-recorded = Telegram refunded { $amount } to user { $user }, but the database failed to record it. Telegram's refund notice or /reconcile will record it and end the access.
# What stands for Telegram's answer when there was none to quote.
refunds-error-no-answer = no answer
refunds-error-too-many-requests = too many requests
refunds-error-unknown = unknown error

## After the refund of a subscription's payment, a line under the outcome. $when is a moment.

refunds-subscription-cancelled-ended = Its subscription is cancelled and has ended: Telegram will not renew it.
refunds-subscription-cancelled = Its subscription is cancelled: Telegram will not renew it, and the buyer keeps the later periods paid for, until { $when }.
refunds-subscription-cancel-failed = Telegram did not cancel its subscription's renewal (“{ $error }”): it renews on { $when }. Send the same /refund again to retry the cancellation; the refund is not repeated.
refunds-subscription-renews = The subscription goes on: Telegram renews it on { $when } (the buyer can cancel it in /subscriptions).
refunds-subscription-not-renewing = The subscription does not renew; it ends on { $when }.
refunds-subscription-ended = The subscription ended on { $when }.

## The Refund button under a support request, and the question it asks.

# The day a payment was made, in UTC.
refunds-paid-on = { DATETIME($day, dateStyle: "medium") }
# A button (plain text): $paid is refunds-paid-on.
refunds-button = Refund { $title }, { $amount }, { $paid }
refunds-question =
    Refund { $amount } for <b>{ $title }</b> to user { $user }, paid { $when }?
    Charge id: { $charge }
