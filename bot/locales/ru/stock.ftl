# Codes and limited stock: the code a buyer got, a payment that came when nothing was left, the
# admins' stock notices, and /stock.

# After a product's line in /shop, when nothing of it is left.
stock-sold-out-mark = {" "}— <b>распродано</b>
# The code a payment took, to copy.
stock-your-code = Ваш код: { $code }
# Asked for an invoice of a product with nothing left.
stock-sold-out-now = К сожалению, товар <b>{ $title }</b> распродан. Что есть в наличии, смотрите в /shop.
# The payment came after the last one was sold: it is refunded. $amount is in Stars, e.g. "25 ⭐".
stock-sold-out-apology =
    Приносим извинения: товар <b>{ $title }</b> закончился прямо перед тем, как пришёл ваш платёж, поэтому мы не смогли его выдать. Ваши { $amount } автоматически вернутся на баланс звёзд, и мы сообщим, когда это произойдёт. Что ещё есть в наличии, смотрите в /shop.
    Id платежа: { $charge }

## To the admins. $restock says how to sell more.

stock-low-notice = 📦 Товар <b>{ $title }</b> ({ $product }) заканчивается: осталось { $left }. { $restock }
stock-out-notice = 📦 Товар <b>{ $title }</b> ({ $product }) распродан: при оплате покупателям отказывают. { $restock }
# $command is a shell command, to copy.
stock-restock-codes = Загрузите ещё коды командой { $command }.
stock-restock-limit = Чтобы продавать дальше, увеличьте его запас в каталоге.

## /stock

stock-report-none = Нет товаров с кодами или ограниченным запасом.
# A line per product follows.
stock-report-head = Запасы:
stock-report-line = • <b>{ $title }</b> ({ $product }): осталось { $left }, продано { $sold }, в резерве { $reserved }
stock-report-reserved = В резерве: принято при оформлении в последние минуты, платёж ещё не сохранён.
