# What every feature's messages share: Stars, moments, prices, the terms of a product.

common-stars = { $amount } ⭐
# A moment, always in UTC.
common-when = { DATETIME($moment, dateStyle: "medium", timeStyle: "short") } UTC
common-price-monthly = { $amount } ⭐ в месяц
common-days = { $days ->
    [one] { $days } день
    [few] { $days } дня
   *[many] { $days } дней
}
common-term-timed = на { common-days }
common-term-subscription = продлевается каждые 30 дней, пока вы не отмените
common-term-consumable = навсегда, покупайте сколько угодно раз
common-term-forever = навсегда
# A product with codes: what it gives, with or without keys as well.
common-gives-code = код
common-gives-code-and = код, { $keys }
common-product-line-nothing-held = <b>{ $title }</b>: { $price } (покупайте сколько угодно раз)
common-product-line = <b>{ $title }</b>: { $price }, даёт { $gives } ({ $term })
common-unknown-product = неизвестный товар
common-until = до { $when }
common-holding = • { $key }, { $term }
common-refunded = , возврат { $when }
common-charge-label = id платежа{" "}
common-payment-line =
    • { $title }, { $amount }, { $when }{ $status }
    {"  "}{ $label }{ $charge }
# The last line of a list cut to fit a message: how many lines were left out.
common-and-more = …и ещё { $count }
common-cancel-button = Отмена
