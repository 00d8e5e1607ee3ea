# Codes and limited stock: the code a buyer got, a payment that came when nothing was left, the
# admins' stock notices, and /stock.

# After a product's line in /shop, when nothing of it is left.
stock-sold-out-mark = {" "}— <b>sold out</b>
# The code a payment took, to copy.
stock-your-code = Your code: { $code }
# Asked for an invoice of a product with nothing left.
stock-sold-out-now = Sorry, <b>{ $title }</b> is sold out. See /shop for what is available.
# The payment came after the last one was sold: it is refunded. $amount is in Stars, e.g. "25 ⭐".
stock-sold-out-apology =
    We are sorry: <b>{ $title }</b> sold out just before your payment arrived, so we could not give you one. Your { $amount } go back to your Stars balance automatically, and we will tell you when they have. See /shop for what is still available.
    Charge id: { $charge }

## To the admins. $restock says how to sell more.

stock-low-notice = 📦 <b>{ $title }</b> ({ $product }) is running low: { $left } left. { $restock }
stock-out-notice = 📦 <b>{ $title }</b> ({ $product }) is sold out: buyers are refused at checkout. { $restock }
# $command is a shell command, to copy.
stock-restock-codes = Load more with { $command }.
stock-restock-limit = Raise its stock in the catalog to sell more.

## /stock

stock-report-none = No product has codes or a stock limit.
# A line per product follows.
stock-report-head = Stock:
stock-report-line = • <b>{ $title }</b> ({ $product }): { $left } left, { $sold } sold, { $reserved } reserved
stock-report-reserved = Reserved: accepted at checkout in the last minutes, payment not yet stored.
