"""Every button the bot shows: the callback data it carries, and the keyboards, by feature.

Labels come from `bot.texts` (plain text: buttons take no HTML). Buttons name rows by id: a
Stars charge id alone can outgrow callback_data's 64 bytes.
"""
