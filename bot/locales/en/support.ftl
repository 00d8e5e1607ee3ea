# /paysupport: what the buyer is asked and told, and the request every admin gets.

# Under the shop's own words on payment support (settings), with a Cancel button.
support-describe = Describe the problem in one message now, or send /cancel.
support-sent = Thank you. Your request went to a person, who will look into it and contact you here.
support-unavailable = Sorry, nobody can take support requests right now. Please try again later.
support-cancelled = Cancelled. Send /paysupport whenever you need help with a payment.
# The answer to /cancel, and the alert of the Cancel button, with no request open.
support-nothing-to-cancel-alert = There is nothing to cancel.
# The buyer sent a sticker, a photo without a caption or a command instead of a description.
support-words-please = Please describe the problem in words, in one message, or send /cancel.
# /paysupport, or a message, while the buyer's request is open: $when is when it was opened.
support-already-open = We have your request from { $when }; a person will answer here. To add something to it, send it in one message now, or /cancel.
support-added = Added to your request from { $when }; a person will answer here.
# To the admins: who asks (a link to the buyer), then what they wrote and their payments.
# $handle is support-username, or nothing when the buyer has no username.
support-request = 📩 Payment support request from <a href="tg://user?id={ $user_id }">{ $name }</a>{ $handle }, user id <code>{ $user_id }</code>:
support-username = {" "}@{ $username }
# The buyer's payments under their words; each line ends with its status.
support-recent-payments = Recent payments:
support-no-payments = No payments.
support-not-refunded = , not refunded
