# Private groups and channels: the Join buttons, a join request from someone without the key,
# and what the set-up checks find.

# Refusing the payment (plain text, shown by Telegram at checkout): the bot cannot manage the
# private chat the product gives access to.
access-chat-unavailable = This gives access to a private chat that the shop cannot let you into right now, so nothing was charged. Please try again later; the admins have been told.
# An invite link to a private chat; $title is the chat's.
access-join-button = Join { $title }
# To someone who asked to join a chat without a key for it; the products that give one and
# their Buy buttons follow.
access-join-refused = To join <b>{ $title }</b> you need one of these first. Press a button for an invoice; once you have paid, use the Join button you get (or ask to join again):
# ...when no product on sale gives access to that chat.
access-closed = <b>{ $title }</b> is not open to new members now.
# To the admins, at start; a line per problem follows (access-setup-problem).
access-setup-head = Private chats the bot cannot manage; it refuses to sell access to them until this is fixed (make the bot an administrator with the right to invite users and to ban users, then restart it):
# $chat is access-setup-chat(-untitled); $problem one of the access-problem-* messages.
access-setup-problem = ✗ { $chat }: { $problem }
# A chat in the set-up checks (also `python -m bot check`'s, in English), by id and title.
access-setup-chat = chat { $id } ({ $title })
access-setup-chat-untitled = chat { $id }
# What keeps the bot from managing a chat. $failure is Telegram's answer, in English.
access-problem-unseen = the bot cannot see it ({ $failure }); add the bot to the chat
# $type is Telegram's name of the chat's type: "group" (a basic group) or "private".
access-problem-not-joinable = it is a { $type }: only supergroups and channels take join requests; convert it to a supergroup (and put the new id in the catalog)
access-problem-rights-unknown = cannot ask for the bot's rights ({ $failure })
# $right is access-right.
access-problem-not-admin = the bot is not an administrator, so it cannot { $right }
access-problem-lacks-right = the bot lacks the right to { $right }
access-problem-lost = the bot can no longer remove members there: { $failure }
# A right the bot needs, as a person finds it in the chat's administrator settings (a verb
# phrase: "cannot ...", "the right to ..."), then its Bot API name, $right, kept as it is.
access-right = { $right ->
    [can_invite_users] invite users via link
    [can_restrict_members] ban users
   *[other] use this right
} ({ $right })
# A chat in access-chat-lost, by its title and id.
access-chat-titled = { $title } ({ $id })
# To the admins: $chat is access-chat-titled or the bare id; $error is Telegram's, in English.
access-chat-lost = The bot can no longer remove members from { $chat }: { $error }. Members whose access ended there were not removed; the removals owed are parked. Add the bot back as an administrator, or remove the chat from the catalog.
