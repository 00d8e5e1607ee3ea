# The operators' commands: /stats, /payments, /user, /balance, /export and /reconcile, and the
# refusal of anyone else.

# To someone who is not an admin and sends an admin command.
admin-not-allowed = Нет доступа: эта команда только для администраторов магазина.
# To someone who is not an admin and presses an admin's button.
admin-not-allowed-alert = Нет доступа.
admin-payments-usage = Использование: /payments [n], где n от 1 до 50 (по умолчанию 10): последние n платежей.
# The angle brackets are HTML entities: keep them as &lt; and &gt;.
admin-user-usage = Использование: /user &lt;id пользователя или @username&gt;

## /stats. The table is in a monospace block: its columns are lined up with spaces.

# The head of the table's columns (keep them short).
admin-stats-period-column = период
admin-stats-payments-column = платежи
admin-stats-stars-column = звёзды
admin-stats-refunds-column = возвраты
admin-stats-net-column = звёзды нетто
# The table's rows, and in the refund rates.
admin-stats-today = сегодня
admin-stats-week = 7 дней
admin-stats-month = 30 дней
admin-stats-all-time = всё время
# A figure in the table.
admin-stats-figure = { $figure }
# A refund rate, e.g. "all time 33.3% (1 of 3)": refunded payments of all payments in a period.
admin-stats-rate = { $period }: { $rate } ({ $refunds } из { $payments })
admin-stats-percent = { NUMBER($rate, style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1) }
# The refund rate of a period without payments.
admin-stats-no-rate = –
# $table is the table of figures, $rates the refund rates joined with commas; a line per product follows.
admin-stats =
    📊 Продажи на { $when }
    <pre>{ $table }</pre>
    Доля возвратов: { $rates }.
    В период входят платежи, сделанные за него; возвраты — те из них, что вернули с тех пор. Бесплатные выдачи — не платежи и никогда не учитываются.

    Сколько пользователей сейчас имеют всё, что даёт товар (купленное или выданное):
# How many users hold everything a product gives.
admin-stats-holder = • { $title } ({ $product }): { $holders }
admin-stats-no-products = товаров нет

## /payments

admin-payments-none = Платежей пока нет.
admin-payments-head = { $count ->
    [one] Последний { $count } платёж
    [few] Последние { $count } платежа
    [many] Последние { $count } платежей
   *[other] Последние { $count } платежа
}, сначала новые:
# $refunded is empty or ", refunded <when>"; $charge is the charge id, to copy.
admin-payments-line =
    • { $when }, пользователь <code>{ $user }</code>, { $title }, { $amount }{ $refunded }
    {"  "}{ $charge }

## /user

admin-user-not-found = С именем пользователя @{ $username } этому боту никто не писал. Попросите у пользователя его числовой id или посмотрите /payments.
admin-user-unknown = 👤 Пользователь <code>{ $user }</code> (не писал боту)
admin-user-known = 👤 { $name } @{ $username }, пользователь <code>{ $user }</code>
admin-user-known-no-username = 👤 { $name }, пользователь <code>{ $user }</code>
admin-user-totals = Платежей: { $payments } ({ $stars }); возвратов: { $refunds } ({ $refunded }).
# A list of what the user holds follows.
admin-user-holds = Сейчас есть:
admin-user-holds-nothing = ничего
# After something held: the goodwill grants (ids such as grant:12) that gave it.
admin-user-goodwill-mark = {" "}(бесплатно: { $grants })
# A list of goodwill grants and revocations follows.
admin-user-goodwill = Бесплатные выдачи (не выручка):
# A product given for free by /grant: for as long as the product itself gives it.
admin-user-granted = • { $when }: администратор { $admin } выдал { $title } навсегда или на срок самого товара ({ $grants })
admin-user-granted-days = • { $when }: администратор { $admin } выдал { $title } на { $days ->
    [one] { $days } день
    [few] { $days } дня
    [many] { $days } дней
   *[other] { $days } дня
} ({ $grants })
admin-user-revoked = • { $when }: администратор { $admin } отозвал { $title } ({ $grants })
# A list of the user's payments follows.
admin-user-payments = Платежи, сначала новые:

## /balance

admin-balance = Баланс звёзд бота: { NUMBER($amount, maximumFractionDigits: 9) } ⭐
admin-balance-failed = Не удалось получить баланс: Telegram ответил «{ $error }». Попробуйте ещё раз через минуту.

## /export: a CSV file of payments.

# The file's caption.
admin-export-caption = { $payments ->
    [one] { $payments } платёж
    [few] { $payments } платежа
    [many] { $payments } платежей
   *[other] { $payments } платежа
} с { $since } по { $until }, по строке на платёж; у возвращённых заполнены столбцы возврата.
admin-export-empty = С { $since } платежей не было, выгружать нечего.
# $command is a shell command, to copy.
admin-export-too-large = Выгрузка занимает { $megabytes } МБ — больше, чем может отправить бот (50 МБ). Выполните на сервере команду { $command }.

## /reconcile: Telegram's Star transactions compared with the payments and refunds stored.

admin-reconcile-failed = Сверка не удалась: { $error }. Попробуйте ещё раз через минуту.
admin-reconcile-read = Сверка прочитала { $transactions ->
    [one] { $transactions } новую звёздную транзакцию
    [few] { $transactions } новые звёздные транзакции
    [many] { $transactions } новых звёздных транзакций
   *[other] { $transactions } новые звёздные транзакции
}.
admin-reconcile-nothing-missing = Ничего не пропущено.
# Charge ids, one a line, follow.
admin-reconcile-recovered-payments = Восстановлено платежей: { $count } (все есть в журнале):
admin-reconcile-recovered-refunds = Восстановлено возвратов: { $count } (все есть в журнале):
