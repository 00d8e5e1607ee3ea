# /grant and /revoke: goodwill, a product given to a user without a payment, and taken back.
# $user is a user id; $product a product id; $title a product's title.

# The answer to /grant without the right arguments.
goodwill-grant-usage =
    Usage: /grant &lt;user_id&gt; &lt;product_id&gt; [days]
    Gives the product without a payment. Without days: a timed product for its own term, a one-time product forever; days from 1 to 3650.
# The answer to /revoke without the right arguments.
goodwill-revoke-usage =
    Usage: /revoke &lt;user_id&gt; &lt;product_id&gt;
    Ends that user's goodwill grants of the product (a payment's access ends by /refund).
# Followed by the catalog's product ids, comma-separated, and a full stop. $asked is what the
# admin wrote.
goodwill-unknown-product = There is no product '{ $asked }'. Products:{" "}
goodwill-needs-days = { $title } is a subscription and has no term of its own: say how many days, e.g. <code>/grant { $user } { $product } 30</code>.
# Followed by what the user now holds, one a line, then goodwill-granted-tail.
goodwill-granted-head = Granted <b>{ $title }</b> to user <code>{ $user }</code> as goodwill, without a payment:
# $charge is the grant's own id, like a payment's charge id.
goodwill-granted-tail = Recorded as { $charge } with your id; it shows in /user { $user } and never counts as revenue. Undo with <code>/revoke { $user } { $product }</code>.
# $grants: the ids of the grants ended, comma-separated; $count how many.
goodwill-revoked = { $count ->
    [one] Ended the goodwill grant of <b>{ $title }</b> for user <code>{ $user }</code>: { $grants }.
   *[other] Ended the goodwill grants of <b>{ $title }</b> for user <code>{ $user }</code>: { $grants }.
}
goodwill-nothing-to-revoke = User <code>{ $user }</code> has no goodwill grant of <b>{ $title }</b> running; nothing changed.
# On a line of its own after either; followed by the charge ids of the $count payments,
# comma-separated.
goodwill-still-paid = { $count ->
    [one] They still hold it through a payment, which only a /refund ends:{" "}
   *[other] They still hold it through payments, which only a /refund ends:{" "}
}
