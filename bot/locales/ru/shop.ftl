# /start, /shop and /buy: the products, and an offer of one.

# /start: the products' titles follow, with commas and a full stop, then the list of commands.
shop-welcome = Добро пожаловать! Здесь продаются цифровые товары за звёзды Telegram:{" "}
# /shop: above a line per product.
shop-head = Что можно купить:
# /shop: below the products, above a Buy button per product.
shop-tail = Нажмите кнопку, чтобы получить счёт.
# /buy with an id the catalog lacks: what the buyer typed; the product ids follow.
shop-unknown-product = Товара «{ $asked }» у нас нет. Можно купить:{" "}
# /buy alone: the product ids follow.
shop-buy-usage = Укажите товар: /buy &lt;product_id&gt;. Товары:{" "}
shop-already-subscribed = Вы уже подписаны на { $title }; возобновить или отменить подписку можно в /subscriptions.
shop-already-owned = У вас уже есть { $title }, см. /mypurchases.
# Above a subscription's Subscribe button: its title, price a month and description.
shop-subscription-offer =
    🧾 Подписка: <b>{ $title }</b>, { $price }
    { $description }

    Telegram списывает оплату каждые 30 дней, пока вы не отмените подписку. Отменить её можно в любой момент в /subscriptions: доступ сохранится до конца оплаченного месяца.
# A Buy button under /shop: the product's title and price.
shop-button = { $title }: { $price }
# The price is a month's.
shop-subscribe-button = Подписаться: { $price }
