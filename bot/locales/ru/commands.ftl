# The command menus and /help, and the answers to what no feature takes.

command-shop = посмотреть товары
command-buy = купить товар: /buy <product_id>
command-mypurchases = ваши покупки и чеки
command-subscriptions = ваши подписки: отменить или возобновить
command-paysupport = помощь с оплатой
command-terms = условия продажи
command-id = ваш id; в группе ещё и id группы
command-language = выбрать язык бота
command-help = список команд
command-refund = вернуть платёж: /refund <charge_id> [причина]
command-reconcile = сверить звёздные транзакции Telegram, не пропущено ли что-то
command-stats = продажи, возвраты и у кого что есть
command-payments = последние платежи: /payments [n]
command-user = платежи и доступ покупателя: /user <id или @username>
command-grant = выдать товар без оплаты: /grant <user_id> <product_id> [дни]
command-revoke = отменить бесплатную выдачу: /revoke <user_id> <product_id>
command-balance = баланс звёзд бота
command-export = платежи за последние 30 дней в CSV-файле
command-stock = сколько осталось товаров с кодами или ограниченным запасом
commands-list = Команды:
commands-unknown = Я не знаю такой команды. Отправьте /help, чтобы увидеть, что я умею.
commands-other-message = Отправьте /shop, чтобы увидеть товары, или /help для списка команд.
# The same words for every command and everyone: a group learns nothing of who is an admin.
commands-private-chat-only = Пожалуйста, отправьте эту команду мне в личный чат, а не в группу.
commands-private-chat-only-button = Пожалуйста, используйте это в личном чате со мной.
# Plain text that also fits a button's alert (200 characters).
commands-flood-warning = Вы пишете быстрее, чем я успеваю читать; я не буду отвечать { $seconds ->
    [one] { $seconds } секунду
    [few] { $seconds } секунды
    [many] { $seconds } секунд
   *[other] { $seconds } секунды
}. Потом, пожалуйста, пишите по одному сообщению.
commands-apology = Извините, у нас что-то пошло не так. Попробуйте ещё раз через минуту.
