# /subscriptions: where each subscription stands, and what its Cancel or Resume button did.

# A line per subscription, under /subscriptions and in /mypurchases.
subscriptions-line-renews = • <b>{ $title }</b>: renews on { $when }
subscriptions-line-cancelled = • <b>{ $title }</b>: cancelled, ends on { $when }
subscriptions-line-ended = • <b>{ $title }</b>: ended on { $when }
subscriptions-none = You have no subscriptions. See /shop for what you can subscribe to.
# Above the list of subscriptions.
subscriptions-head = Your subscriptions:
# Below the list; Cancel and Resume buttons follow.
subscriptions-tail = Cancelling stops the renewal; you keep what you paid for to the end of its month. A subscription you cancel inside Telegram shows here as renewing until its date, then as ended.
# Buttons under the list, and under a reminder: $title is the subscription's product.
subscriptions-cancel-button = Cancel { $title }
subscriptions-resume-button = Resume { $title }
# What a Cancel or Resume button did (plain text alerts).
subscriptions-cancelled-alert = Cancelled: it will not renew. You keep it until { $when }.
subscriptions-resumed-alert = Resumed: it renews on { $when }.
# $error: what Telegram answered, in English, or subscriptions-no-answer.
subscriptions-refused-alert = Telegram did not accept it ({ $error }). Nothing changed; please try again in a minute.
subscriptions-no-answer = no answer
subscriptions-unchanged-alert = Nothing to change: see the list as it is now.
subscriptions-not-found-alert = There is no such subscription of yours.
