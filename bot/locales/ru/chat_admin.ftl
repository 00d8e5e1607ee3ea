# To every admin, when the bot is made an administrator of a group, supergroup or channel: its
# id for the catalog's `chats`, and what the bot still needs there.

# $title is empty or chat-admin-title; $by is empty or chat-admin-by.
chat-admin-made-admin = Бот назначен администратором { $type ->
    [group] группы
    [supergroup] супергруппы
    [channel] канала
   *[other] чата
}{ $title }{ $by }.
chat-admin-title = {" "}<b>{ $title }</b>
# Who made the bot an administrator: a person's name.
chat-admin-by = {" "}пользователем { $by }
# The chat's id, to copy.
chat-admin-id = Id чата: { $chat }
# $keys: the catalog's entitlement keys that give membership of the chat, joined with commas.
chat-admin-sold = Каталог уже продаёт доступ к этому чату { $count ->
    [one] с ключом
   *[other] с ключами
} { $keys }.
# "chats" is a field of the catalog's keys: keep it as it is.
chat-admin-how-to-sell = Чтобы продавать доступ к этому чату, добавьте его id в <code>chats</code> одного из ключей каталога.
chat-admin-basic-group = Продавать можно только участие в супергруппе: сначала преобразуйте эту обычную группу (Telegram делает это, когда вы выбираете «Видна» в настройке «История чата для новых участников»). Её id при этом изменится: отправьте там /id, чтобы узнать новый.
# Joins the rights the bot lacks: "A and to B". Each right is access-right, e.g. "invite
# users via link (can_invite_users)".
chat-admin-right-and = { $rights } и { $right }
chat-admin-lacks = У бота всё ещё нет прав: { $rights }. Выдайте их в настройках администраторов чата.
# The catalog sells access to the chat already.
chat-admin-lacks-sold = У бота всё ещё нет прав: { $rights }. Выдайте их в настройках администраторов чата, а до тех пор покупатели не смогут вступить.
chat-admin-rights-given = У бота есть оба нужных ему права в этом чате.
# The catalog sells access to the chat already.
chat-admin-rights-given-sold = Теперь у бота есть оба нужных ему права в этом чате: покупатели могут вступать.
