# Private groups and channels: the Join buttons, a join request from someone without the key,
# and what the set-up checks find.

# Refusing the payment (plain text, shown by Telegram at checkout): the bot cannot manage the
# private chat the product gives access to.
access-chat-unavailable = Это доступ к закрытому чату, в который магазин сейчас не может вас впустить, поэтому ничего не списано. Пожалуйста, попробуйте позже; администраторы уже в курсе.
# An invite link to a private chat; $title is the chat's.
access-join-button = Вступить в «{ $title }»
# To someone who asked to join a chat without a key for it; the products that give one and
# their Buy buttons follow.
access-join-refused = Чтобы вступить в <b>{ $title }</b>, сначала нужно купить одно из этого. Нажмите кнопку, чтобы получить счёт; после оплаты воспользуйтесь кнопкой «Вступить», которую вы получите (или подайте заявку на вступление ещё раз):
# ...when no product on sale gives access to that chat.
access-closed = <b>{ $title }</b> сейчас не принимает новых участников.
# To the admins, at start; a line per problem follows (access-setup-problem).
access-setup-head = Закрытые чаты, которыми бот не может управлять; доступ к ним не продаётся, пока это не исправлено (сделайте бота администратором с правом приглашать и блокировать пользователей, затем перезапустите его):
# $chat is access-setup-chat(-untitled); $problem one of the access-problem-* messages.
access-setup-problem = ✗ { $chat }: { $problem }
# A chat in the set-up checks (also `python -m bot check`'s, in English), by id and title.
access-setup-chat = чат { $id } ({ $title })
access-setup-chat-untitled = чат { $id }
# What keeps the bot from managing a chat. $failure is Telegram's answer, in English.
access-problem-unseen = бот не видит этот чат ({ $failure }); добавьте бота в чат
# $type is Telegram's name of the chat's type: "group" (a basic group) or "private".
access-problem-not-joinable = это { $type ->
    [group] обычная группа
    [private] личный чат
   *[other] чат типа { $type }
}: заявки на вступление принимают только супергруппы и каналы; преобразуйте чат в супергруппу (и укажите новый id в каталоге)
access-problem-rights-unknown = не удалось узнать права бота ({ $failure })
# $right is access-right.
access-problem-not-admin = бот не администратор, поэтому не может { $right }
access-problem-lacks-right = у бота нет права { $right }
access-problem-lost = бот больше не может удалять оттуда участников: { $failure }
# A right the bot needs, as a person finds it in the chat's administrator settings (a verb
# phrase: "cannot ...", "the right to ..."), then its Bot API name, $right, kept as it is.
access-right = { $right ->
    [can_invite_users] приглашать пользователей по ссылке
    [can_restrict_members] блокировать пользователей
   *[other] пользоваться этим правом
} ({ $right })
# A chat in access-chat-lost, by its title and id.
access-chat-titled = { $title } ({ $id })
# To the admins: $chat is access-chat-titled or the bare id; $error is Telegram's, in English.
access-chat-lost = Бот больше не может удалять участников из { $chat }: { $error }. Участники, у которых там закончился доступ, не удалены; положенные удаления отложены. Верните боту права администратора или уберите чат из каталога.
