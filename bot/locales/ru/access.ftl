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
# To the admins, at start; a line per problem follows (access-setup-problem, in English).
access-setup-head = Закрытые чаты, которыми бот не может управлять; доступ к ним не продаётся, пока это не исправлено (сделайте бота администратором с правом приглашать и блокировать пользователей, затем перезапустите его):
access-setup-problem = ✗ { $problem }
# A chat in access-chat-lost, by its title and id.
access-chat-titled = { $title } ({ $id })
# To the admins: $chat is access-chat-titled or the bare id; $error is Telegram's, in English.
access-chat-lost = Бот больше не может удалять участников из { $chat }: { $error }. Участники, у которых там закончился доступ, не удалены; положенные удаления отложены. Верните боту права администратора или уберите чат из каталога.
