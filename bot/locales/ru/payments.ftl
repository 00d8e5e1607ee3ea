# Paying: why a pre-checkout is refused, the buyer's confirmation, and what the buyer and the
# admins are told when a payment cannot grant.

# Why a payment is refused before anything is charged. Telegram shows it in its payment form:
# plain text, no HTML.
payments-refused-foreign-payload = Этот счёт выставлен не нашим магазином. Откройте /shop и оплатите новый счёт.
payments-refused-product-gone = Этот товар больше не продаётся, поэтому звёзды не списаны. Что есть в продаже, смотрите в /shop.
payments-refused-price-changed = Цена изменилась после того, как был выставлен этот счёт, поэтому звёзды не списаны. Откройте /shop, чтобы получить счёт по текущей цене.
payments-refused-amount-mismatch = Сумма не совпадает с суммой счёта, поэтому звёзды не списаны. Откройте /shop, чтобы получить новый счёт.
payments-refused-wrong-currency = Этот магазин принимает только звёзды Telegram (XTR). Откройте /shop, чтобы получить счёт в звёздах.
payments-refused-already-owned = Этот товар у вас уже есть, поэтому звёзды не списаны. Ваши покупки — в /mypurchases.
payments-refused-already-subscribed = У вас уже есть эта подписка, поэтому звёзды не списаны. Возобновить или отменить её можно в /subscriptions.
payments-refused-temporary = Временная ошибка, попробуйте ещё раз через минуту. Звёзды не списаны.
payments-refused-sold-out = К сожалению, этот товар закончился, поэтому звёзды не списаны. Что есть в продаже, смотрите в /shop.

# The first line of a confirmation of a payment found late (Telegram never told the bot of it).
payments-recovered = Мы нашли ваш платёж, который до нас не дошёл, и завершили покупку.
# The first line of a confirmation.
payments-thank-you = Спасибо, оплата получена!
payments-bought = Вы купили <b>{ $title }</b> за { $amount }.
# A subscription's first payment.
payments-subscribed = Вы подписались на <b>{ $title }</b> за { $amount } в месяц.
# A subscription's later payments, each month.
payments-renewed = Ваша подписка на <b>{ $title }</b> продлена за { $amount }.
payments-next-renewal = Следующее продление — { $when }; отменить подписку можно в любой момент в /subscriptions.
# Above what the payment gave, one per line.
payments-you-now-have = Теперь у вас есть:
# The last line of a confirmation: the payment's id, for the buyer to quote if they need help.
payments-charge-to-quote = ID платежа (укажите его, если обратитесь в /paysupport): { $charge }

# A payment for a product the catalog no longer has: nothing was given.
payments-without-product =
    Мы получили ваш платёж на { $amount }, но этот товар больше не продаётся. С вами свяжется сотрудник магазина, чтобы вернуть звёзды или заменить товар.
    ID платежа: { $charge }
# A second payment for something the buyer already owns: nothing was given.
payments-already-owned =
    Мы получили повторный платёж за <b>{ $title }</b>, хотя этот товар у вас уже есть. Сотрудник магазина вернёт звёзды на ваш баланс.
    ID платежа: { $charge }
# To every admin: a payment that gave nothing, and the command that refunds it.
payments-admin-already-owned =
    ⚠️ Пользователь { $user } повторно заплатил { $amount } за { $title }, хотя этот товар у него уже есть. Ничего не выдано; верните платёж командой
    { $command }
# To every admin: the payload is what the invoice carried, which names no product the catalog has.
payments-admin-without-product =
    ⚠️ Платёж на { $amount } от пользователя { $user } за неизвестный товар (payload «{ $payload }»). Ничего не выдано; верните платёж командой
    { $command }
