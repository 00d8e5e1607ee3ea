# What every feature's messages share: Stars, moments, prices, the terms of a product.

common-stars = { $amount } ⭐
# A moment, always in UTC.
common-when = { DATETIME($moment, dateStyle: "medium", timeStyle: "short") } UTC
common-price-monthly = { $amount } ⭐ a month
common-days = { $days ->
    [one] { $days } day
   *[other] { $days } days
}
common-term-timed = for { common-days }
common-term-subscription = renews every 30 days until you cancel
common-term-consumable = forever, buy as often as you like
common-term-forever = forever
# A product with codes: what it gives, with or without keys as well.
common-gives-code = a code
common-gives-code-and = a code, { $keys }
common-product-line-nothing-held = <b>{ $title }</b>: { $price } (buy as often as you like)
common-product-line = <b>{ $title }</b>: { $price }, gives { $gives } ({ $term })
common-unknown-product = unknown product
common-until = until { $when }
common-holding = • { $key }, { $term }
common-refunded = , refunded { $when }
common-charge-label = charge id{" "}
common-payment-line =
    • { $title }, { $amount }, { $when }{ $status }
    {"  "}{ $label }{ $charge }
# The last line of a list cut to fit a message: how many lines were left out.
common-and-more = …and { $count } more
common-cancel-button = Cancel
