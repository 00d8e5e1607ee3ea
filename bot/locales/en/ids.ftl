# /id: the numbers a shop owner copies into the settings and the catalog. Each id is to copy.

# ADMIN_IDS is a setting of the bot: keep it as it is.
ids-user =
    Your user id: { $user }
    If you run this bot, put it in ADMIN_IDS to be one of its admins.
# /id sent by an anonymous group admin, as the group.
ids-as-group = You wrote as the group; send /id to me in a private chat for your own id.

## In a group, after the user's id. "chats" is a field of the catalog's keys: keep it as it is.

# The catalog gives membership of this group already.
ids-group-sold =
    This group's id: { $chat }
    The catalog sells membership of this group already (a key's chats).
ids-supergroup =
    This group's id: { $chat }
    To sell membership of it, put it in a key's chats = [...] in the catalog.
# A basic group: its id changes when it becomes a supergroup.
ids-basic-group =
    This group's id: { $chat }
    Only a supergroup's membership can be sold. Telegram turns this group into one when you set "Chat history for new members" to visible; its id changes then, so send /id again.
