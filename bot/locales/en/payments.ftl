# Paying: why a pre-checkout is refused, the buyer's confirmation, and what the buyer and the
# admins are told when a payment cannot grant.

# Why a payment is refused before anything is charged. Telegram shows it in its payment form:
# plain text, no HTML.
payments-refused-foreign-payload = This invoice was not issued by this shop. Open /shop and pay with a fresh invoice.
payments-refused-product-gone = This product is no longer sold, so nothing was charged. See /shop for what is available.
payments-refused-price-changed = The price has changed since this invoice was sent, so nothing was charged. Open /shop for an invoice at the current price.
payments-refused-amount-mismatch = The amount does not match this invoice, so nothing was charged. Open /shop for a fresh invoice.
payments-refused-wrong-currency = This shop accepts Telegram Stars (XTR) only. Open /shop for a Stars invoice.
payments-refused-already-owned = You already own this, so nothing was charged. See /mypurchases for what you have.
payments-refused-already-subscribed = You already have this subscription, so nothing was charged. See /subscriptions to resume or cancel it.
payments-refused-temporary = Temporary problem, please try again in a minute. Nothing was charged.
payments-refused-sold-out = Sorry, this is sold out, so nothing was charged. See /shop for what is available.

# The first line of a confirmation of a payment found late (Telegram never told the bot of it).
payments-recovered = We found a payment of yours that had not reached us, and completed it.
# The first line of a confirmation.
payments-thank-you = Thank you, payment received!
payments-bought = You bought <b>{ $title }</b> for { $amount }.
# A subscription's first payment.
payments-subscribed = You subscribed to <b>{ $title }</b> for { $amount } a month.
# A subscription's later payments, each month.
payments-renewed = Your subscription to <b>{ $title }</b> renewed for { $amount }.
payments-next-renewal = Next renewal on { $when }; cancel any time in /subscriptions.
# Above what the payment gave, one per line.
payments-you-now-have = You now have:
# The last line of a confirmation: the payment's id, for the buyer to quote if they need help.
payments-charge-to-quote = Charge id (quote it to /paysupport): { $charge }

# A payment for a product the catalog no longer has: nothing was given.
payments-without-product =
    We received your payment of { $amount }, but the product is no longer sold. A person will contact you to refund or replace it.
    Charge id: { $charge }
# A second payment for something the buyer already owns: nothing was given.
payments-already-owned =
    We received a second payment for <b>{ $title }</b>, which you already own. A person will refund it to your Stars balance.
    Charge id: { $charge }
# To every admin: a payment that gave nothing, and the command that refunds it.
payments-admin-already-owned =
    ⚠️ User { $user } paid { $amount } again for { $title }, which they already own. Nothing was granted: refund it with
    { $command }
# To every admin: the payload is what the invoice carried, which names no product the catalog has.
payments-admin-without-product =
    ⚠️ Payment of { $amount } by user { $user } for an unknown product (payload '{ $payload }'). Nothing was granted: refund it with
    { $command }
