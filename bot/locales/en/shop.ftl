# /start, /shop and /buy: the products, and an offer of one.

# /start: the products' titles follow, with commas and a full stop, then the list of commands.
shop-welcome = Welcome! This shop sells digital goods for Telegram Stars:{" "}
# /shop: above a line per product.
shop-head = What you can buy:
# /shop: below the products, above a Buy button per product.
shop-tail = Press a button to get an invoice.
# /buy with an id the catalog lacks: what the buyer typed; the product ids follow.
shop-unknown-product = There is no product '{ $asked }'. Products you can buy:{" "}
# /buy alone: the product ids follow.
shop-buy-usage = Usage: /buy &lt;product_id&gt;. Products:{" "}
shop-already-subscribed = You already subscribe to { $title }; see /subscriptions to resume or cancel it.
shop-already-owned = You already own { $title }; see /mypurchases.
# Above a subscription's Subscribe button: its title, price a month and description.
shop-subscription-offer =
    🧾 Subscription: <b>{ $title }</b>, { $price }
    { $description }

    Telegram charges it every 30 days until you cancel, which you can do any time in /subscriptions: you keep what you paid for to the end of its month.
# A Buy button under /shop: the product's title and price.
shop-button = { $title }: { $price }
# The price is a month's.
shop-subscribe-button = Subscribe: { $price }
