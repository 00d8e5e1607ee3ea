# /mypurchases: what the buyer owns, their subscriptions and their receipts.

purchases-nothing-yet = Вы ещё ничего не покупали. Загляните в /shop.
# Above the keys the buyer holds, one per line.
purchases-owned = У вас есть:
# In place of the keys, when the buyer holds none (but has paid before).
purchases-owned-nothing = сейчас ничего
# Above the buyer's subscriptions, one per line.
purchases-subscriptions = Подписки (отменить или возобновить — в /subscriptions):
# Above the buyer's receipts, newest first.
purchases-payments = Ваши платежи:
