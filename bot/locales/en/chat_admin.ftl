# To every admin, when the bot is made an administrator of a group, supergroup or channel: its
# id for the catalog's `chats`, and what the bot still needs there.

# $title is empty or chat-admin-title; $by is empty or chat-admin-by.
chat-admin-made-admin = The bot was made an administrator of the { $type ->
    [group] group
    [supergroup] supergroup
    [channel] channel
   *[other] chat
}{ $title }{ $by }.
chat-admin-title = {" "}<b>{ $title }</b>
# Who made the bot an administrator: a person's name.
chat-admin-by = {" "}by { $by }
# The chat's id, to copy.
chat-admin-id = Its id: { $chat }
# $keys: the catalog's entitlement keys that give membership of the chat, joined with commas.
chat-admin-sold = The catalog sells access to it already, with the { $count ->
    [one] key
   *[other] keys
} { $keys }.
# "chats" is a field of the catalog's keys: keep it as it is.
chat-admin-how-to-sell = Put it in a key's <code>chats</code> in the catalog to sell access to it.
chat-admin-basic-group = Only a supergroup's membership can be sold: convert this basic group first (Telegram does when you set "Chat history for new members" to visible). Its id changes then: send /id there for the new one.
# Joins the rights the bot lacks: "A and to B". Each right is access-right, e.g. "invite
# users via link (can_invite_users)".
chat-admin-right-and = { $rights } and to { $right }
chat-admin-lacks = The bot still lacks the right to { $rights }: give it in the chat's administrator settings.
# The catalog sells access to the chat already.
chat-admin-lacks-sold = The bot still lacks the right to { $rights }: give it in the chat's administrator settings, until then buyers cannot join.
chat-admin-rights-given = The bot has both rights it needs there.
# The catalog sells access to the chat already.
chat-admin-rights-given-sold = The bot has both rights it needs there now: buyers can join.
