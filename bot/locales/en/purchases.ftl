# /mypurchases: what the buyer owns, their subscriptions and their receipts.

purchases-nothing-yet = You have not bought anything yet. See /shop.
# Above the keys the buyer holds, one per line.
purchases-owned = You own:
# In place of the keys, when the buyer holds none (but has paid before).
purchases-owned-nothing = nothing right now
# Above the buyer's subscriptions, one per line.
purchases-subscriptions = Subscriptions (/subscriptions to cancel or resume):
# Above the buyer's receipts, newest first.
purchases-payments = Your payments:
