# /language: the languages offered as buttons, and the answer, in the language chosen.

languages-choose = Choose the language I speak to you:
# The name of this language, in it, on its button under /language.
languages-name = English
languages-chosen = From now on I speak English to you. /help lists the commands.
# The alert when a button names a language the bot no longer offers.
languages-unknown-alert = I don't speak that language any more. Send /language to choose again.
