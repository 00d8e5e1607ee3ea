# /paysupport: what the buyer is asked and told, and the request every admin gets.

# Under the shop's own words on payment support (settings), with a Cancel button.
support-describe = Опишите проблему одним сообщением прямо сейчас или отправьте /cancel.
support-sent = Спасибо. Ваш запрос передан человеку: он разберётся и свяжется с вами здесь.
support-unavailable = Извините, сейчас некому принять запрос в поддержку. Пожалуйста, попробуйте позже.
support-cancelled = Отменено. Если понадобится помощь с оплатой, отправьте /paysupport.
# The answer to /cancel, and the alert of the Cancel button, with no request open.
support-nothing-to-cancel-alert = Отменять нечего.
# The buyer sent a sticker, a photo without a caption or a command instead of a description.
support-words-please = Пожалуйста, опишите проблему словами, одним сообщением, или отправьте /cancel.
# /paysupport, or a message, while the buyer's request is open: $when is when it was opened.
support-already-open = Ваш запрос от { $when } уже у нас; человек ответит здесь. Чтобы что-то добавить, отправьте это одним сообщением прямо сейчас или /cancel.
support-added = Добавлено к вашему запросу от { $when }; человек ответит здесь.
# To the admins: who asks (a link to the buyer), then what they wrote and their payments.
# $handle is support-username, or nothing when the buyer has no username.
support-request = 📩 Запрос в поддержку по оплате от <a href="tg://user?id={ $user_id }">{ $name }</a>{ $handle }, id пользователя <code>{ $user_id }</code>:
support-username = {" "}@{ $username }
# The buyer's payments under their words; each line ends with its status.
support-recent-payments = Последние платежи:
support-no-payments = Платежей нет.
support-not-refunded = , без возврата
