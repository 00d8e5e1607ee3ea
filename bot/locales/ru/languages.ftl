# /language: the languages offered as buttons, and the answer, in the language chosen.

languages-choose = Выберите язык, на котором я буду с вами говорить:
# The name of this language, in it, on its button under /language.
languages-name = Русский
languages-chosen = Теперь я говорю с вами по-русски. Команды: /help.
# The alert when a button names a language the bot no longer offers.
languages-unknown-alert = Этот язык больше не поддерживается. Отправьте /language, чтобы выбрать снова.
