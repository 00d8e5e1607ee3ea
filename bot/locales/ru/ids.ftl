# /id: the numbers a shop owner copies into the settings and the catalog. Each id is to copy.

# ADMIN_IDS is a setting of the bot: keep it as it is.
ids-user =
    Ваш id: { $user }
    Если это ваш бот, добавьте этот id в ADMIN_IDS, чтобы стать его администратором.
# /id sent by an anonymous group admin, as the group.
ids-as-group = Вы написали от имени группы; чтобы узнать свой id, отправьте мне /id в личном чате.

## In a group, after the user's id. "chats" is a field of the catalog's keys: keep it as it is.

# The catalog gives membership of this group already.
ids-group-sold =
    Id этой группы: { $chat }
    Каталог уже продаёт участие в этой группе (chats одного из ключей).
ids-supergroup =
    Id этой группы: { $chat }
    Чтобы продавать участие в ней, добавьте её id в chats = [...] одного из ключей каталога.
# A basic group: its id changes when it becomes a supergroup.
ids-basic-group =
    Id этой группы: { $chat }
    Продавать можно только участие в супергруппе. Telegram превращает эту группу в супергруппу, когда вы выбираете «Видна» в настройке «История чата для новых участников»; её id при этом изменится, так что отправьте /id ещё раз.
