# The shop's texts that its owner may replace with PAYSUPPORT_TEXT and TERMS_TEXT (and
# PAYSUPPORT_TEXT_RU, ...). Plain text. /paysupport adds a line under the first.

owner-paysupport-text = Problem with a payment? A person reads every request. Say what you bought and what went wrong, and quote the charge id from your receipt (see /mypurchases). Refunds go back to your Stars balance.
owner-terms-text =
    Terms of sale
    1. Prices are in Telegram Stars and include everything; there are no hidden fees.
    2. What you buy is a digital item inside this bot, delivered right after payment.
    3. Timed items run for the stated number of days from purchase; buying again extends them.
    4. If something does not work, use /paysupport: we refund purchases that could not be delivered, and may refund others at our discretion.
    5. A refund ends access to what was refunded.
