# What a key delivers, and its "Send my files again" button under /mypurchases.

# A button under /mypurchases; $title is the product that gave the files.
files-resend-button = 📎 Прислать файлы ещё раз: { $title }
# What pressing it did (plain text alerts).
files-queued-alert = Отправляю ваши файлы ещё раз.
files-too-soon-alert = Ваши файлы уже отправлялись повторно меньше минуты назад. Пожалуйста, подождите минуту.
files-not-held-alert = Срок этой покупки закончился, поэтому я не могу прислать её файлы ещё раз. Купить её снова можно в /shop.
files-nothing-alert = У этой покупки больше нет файлов для отправки. Если какого-то не хватает, напишите в /paysupport.
