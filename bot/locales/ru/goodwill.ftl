# /grant and /revoke: goodwill, a product given to a user without a payment, and taken back.
# $user is a user id; $product a product id; $title a product's title.

# The answer to /grant without the right arguments.
goodwill-grant-usage =
    Использование: /grant &lt;user_id&gt; &lt;product_id&gt; [дни]
    Выдаёт товар без оплаты. Без дней: товар с ограниченным сроком выдаётся на свой срок, разовый — навсегда; дней можно указать от 1 до 3650.
# The answer to /revoke without the right arguments.
goodwill-revoke-usage =
    Использование: /revoke &lt;user_id&gt; &lt;product_id&gt;
    Отменяет бесплатные выдачи этого товара пользователю (доступ по оплате закрывает только /refund).
# Followed by the catalog's product ids, comma-separated, and a full stop. $asked is what the
# admin wrote.
goodwill-unknown-product = Товара «{ $asked }» нет. Товары:{" "}
goodwill-needs-days = { $title } — подписка, своего срока у неё нет: укажите число дней, например <code>/grant { $user } { $product } 30</code>.
# Followed by what the user now holds, one a line, then goodwill-granted-tail.
goodwill-granted-head = Товар <b>{ $title }</b> выдан пользователю <code>{ $user }</code> в подарок, без оплаты:
# $charge is the grant's own id, like a payment's charge id.
goodwill-granted-tail = Записано как { $charge } с вашим id; выдача видна в /user { $user } и никогда не считается выручкой. Отменить: <code>/revoke { $user } { $product }</code>.
# $grants: the ids of the grants ended, comma-separated; $count how many. The count is not
# written, so the singular is for exactly 1 (not 21, 31…).
goodwill-revoked = { $count ->
    [1] Отменена бесплатная выдача <b>{ $title }</b> пользователю <code>{ $user }</code>: { $grants }.
   *[other] Отменены бесплатные выдачи <b>{ $title }</b> пользователю <code>{ $user }</code>: { $grants }.
}
goodwill-nothing-to-revoke = У пользователя <code>{ $user }</code> нет действующей бесплатной выдачи <b>{ $title }</b>; ничего не изменилось.
# On a line of its own after either; followed by the charge ids of the $count payments,
# comma-separated. The count is not written, so the singular is for exactly 1.
goodwill-still-paid = { $count ->
    [1] Товар остаётся у пользователя по платежу, который закрывает только /refund:{" "}
   *[other] Товар остаётся у пользователя по платежам, которые закрывает только /refund:{" "}
}
