# Reminders a day before paid access ends, and their buttons.

# Access for a number of days ends; a Buy again button follows.
reminders-timed =
    ⏰ Доступ к <b>{ $title }</b> заканчивается { $when }, примерно через сутки.
    Купите снова, чтобы продлить его ещё на { $days ->
        [one] { $days } день
        [few] { $days } дня
        [many] { $days } дней
       *[other] { $days } дня
    } с этой даты.
# A cancelled subscription ends; a Resume button follows. $price: e.g. "75 ⭐ a month".
reminders-subscription = ⏰ Ваша подписка на <b>{ $title }</b> заканчивается { $when }, примерно через сутки: вы отменили её продление. Возобновите её, чтобы сохранить доступ, за { $price }.
reminders-buy-again-button = Купить снова: { $price }
