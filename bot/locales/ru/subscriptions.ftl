# /subscriptions: where each subscription stands, and what its Cancel or Resume button did.

# A line per subscription, under /subscriptions and in /mypurchases.
subscriptions-line-renews = • <b>{ $title }</b>: продлится { $when }
subscriptions-line-cancelled = • <b>{ $title }</b>: отменена, действует до { $when }
subscriptions-line-ended = • <b>{ $title }</b>: закончилась { $when }
subscriptions-none = У вас нет подписок. В /shop можно посмотреть, на что подписаться.
# Above the list of subscriptions.
subscriptions-head = Ваши подписки:
# Below the list; Cancel and Resume buttons follow.
subscriptions-tail = Отмена останавливает продление; оплаченное остаётся у вас до конца месяца. Подписка, отменённая в самом Telegram, видна здесь как продлеваемая до своей даты, а после неё как закончившаяся.
# Buttons under the list, and under a reminder: $title is the subscription's product.
subscriptions-cancel-button = Отменить «{ $title }»
subscriptions-resume-button = Возобновить «{ $title }»
# What a Cancel or Resume button did (plain text alerts).
subscriptions-cancelled-alert = Отменено: подписка не продлится. Она остаётся у вас до { $when }.
subscriptions-resumed-alert = Возобновлено: подписка продлится { $when }.
# $error: what Telegram answered, in English, or subscriptions-no-answer.
subscriptions-refused-alert = Telegram не принял запрос ({ $error }). Ничего не изменилось; попробуйте ещё раз через минуту.
subscriptions-no-answer = нет ответа
subscriptions-unchanged-alert = Менять нечего: в списке всё так, как есть сейчас.
subscriptions-not-found-alert = У вас нет такой подписки.
