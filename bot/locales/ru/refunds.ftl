# Refunds: an admin's /refund and Refund button, what became of a refunded subscription, and
# the buyer's notice.

# The answer to /refund without a charge id.
refunds-usage =
    Использование: /refund &lt;telegram_payment_charge_id&gt; [причина]
    Id платежа есть в чеке покупателя и в его запросе /paysupport.
# The admin pressed Cancel under "Refund …?".
refunds-cancelled = Возврат отменён; ничего не изменилось.
# The payment behind a Refund button is gone: an alert, or the message that replaces "Refund …?".
refunds-payment-gone-alert = Такого платежа больше нет; ничего не сделано.
# The button under "Refund …?" that refunds.
refunds-confirm-button = Подтвердить возврат
# The alert while Telegram is asked, after Confirm refund.
refunds-refunding-alert = Оформляю возврат…

## To the buyer, queued when their payment is refunded. $amount is in Stars; $title is the
## product's title, or refunds-notice-your-purchase; $charge and $other are charge ids.

# After "за": in the accusative.
refunds-notice-your-purchase = вашу покупку
# Another payment of theirs for it, which had given nothing (already owned), gives it now.
refunds-notice-kept =
    Мы вернули { $amount } за <b>{ $title }</b> на ваш баланс звёзд.
    Доступ у вас остаётся: теперь его даёт ваш другой платёж за этот товар (id платежа { $other }), который, как мы писали, должен был вернуть сотрудник.
    ID платежа: { $charge }
refunds-notice-ended =
    Мы вернули { $amount } за <b>{ $title }</b> на ваш баланс звёзд, а доступ, который давала эта покупка, закрыт.
    ID платежа: { $charge }
refunds-notice-nothing-held =
    Мы вернули { $amount } за <b>{ $title }</b> на ваш баланс звёзд. Этот платёж ничего вам не давал, так что всё, что у вас есть, остаётся как было.
    ID платежа: { $charge }

## To the admin who refunds. $user is the buyer's user id.

# /refund with a charge id no payment has.
refunds-unknown = Платежа с таким id нет (<code>{ $charge }</code>); ничего не сделано.
# Plain text, also a button's alert. $source is how the refund became known (admin, telegram,
# reconcile, elsewhere, sold_out), kept as it is stored; $admin is the admin's user id.
refunds-already = Платёж уже возвращён { $when } (источник: { $source }). Ничего не сделано.
refunds-already-by-admin = Платёж уже возвращён { $when } (источник: { $source }, администратор { $admin }). Ничего не сделано.
refunds-already-with-reason = Платёж уже возвращён { $when } (источник: { $source }, причина: { $reason }). Ничего не сделано.
refunds-already-by-admin-with-reason = Платёж уже возвращён { $when } (источник: { $source }, администратор { $admin }, причина: { $reason }). Ничего не сделано.
# The first line of what the admin is told after a refund; the next says what changed.
refunds-done = Возвращено { $amount } за <b>{ $title }</b> пользователю { $user }.
refunds-done-elsewhere = Telegram сообщает, что этот платёж уже возвращён в другом месте; записан возврат { $amount } за <b>{ $title }</b> пользователю { $user }.
# $other is the charge id of the buyer's other payment for the product.
refunds-done-kept = Доступ у покупателя остаётся: другой его платёж за этот товар, { $other }, ничего не выдал (товар уже был), а теперь выдаёт доступ, поэтому тот платёж не возвращайте. Покупатель уведомлён.
refunds-done-ended = Доступ, который давал платёж, закрыт; покупатель уведомлён.
refunds-done-nothing-held = Платёж ничего не выдавал, поэтому доступ покупателя не изменился; покупатель уведомлён.
# The last line, under a refund's outcome.
refunds-charge = ID платежа: { $charge }
# $error is what Telegram answered, or one of the refunds-error- messages.
refunds-failed = Возврат не удался: Telegram ответил «{ $error }». Ничего не изменилось, доступ у покупателя остаётся; попробуйте позже.
refunds-outcome-unknown = Неизвестно, вернул ли Telegram платёж: { $error }. Ничего не записано, доступ у покупателя пока остаётся. Если Telegram всё же вернул платёж, его уведомление о возврате или /reconcile запишет возврат и закроет доступ: подождите минуту и отправьте /reconcile, прежде чем пробовать снова.
refunds-gave-up = Telegram раз за разом отвечал «{ $error }», и я прекратил попытки. Ничего не изменилось, доступ у покупателя остаётся; попробуйте через несколько минут.
refunds-not-recorded = Telegram вернул { $amount } пользователю { $user }, но база данных не смогла это записать. Уведомление Telegram о возврате или /reconcile запишет возврат и закроет доступ.
# What stands for Telegram's answer when there was none to quote.
refunds-error-no-answer = нет ответа
refunds-error-too-many-requests = слишком много запросов
refunds-error-unknown = неизвестная ошибка

## After the refund of a subscription's payment, a line under the outcome. $when is a moment.

refunds-subscription-cancelled-ended = Подписка отменена и уже закончилась: Telegram её не продлит.
refunds-subscription-cancelled = Подписка отменена: Telegram её не продлит, а оплаченные следующие периоды остаются у покупателя до { $when }.
refunds-subscription-cancel-failed = Telegram не отменил продление подписки («{ $error }»): она продлится { $when }. Отправьте ту же команду /refund ещё раз, чтобы повторить отмену; повторного возврата не будет.
refunds-subscription-renews = Подписка продолжается: Telegram продлит её { $when } (покупатель может отменить её в /subscriptions).
refunds-subscription-not-renewing = Подписка не продлевается; она закончится { $when }.
refunds-subscription-ended = Подписка закончилась { $when }.

## The Refund button under a support request, and the question it asks.

# The day a payment was made, in UTC.
refunds-paid-on = { DATETIME($day, dateStyle: "medium") }
# A button (plain text): $paid is refunds-paid-on.
refunds-button = Вернуть { $title }, { $amount }, { $paid }
refunds-question =
    Вернуть { $amount } за <b>{ $title }</b> пользователю { $user } (оплата { $when })?
    ID платежа: { $charge }
