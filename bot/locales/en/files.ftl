# What a key delivers, and its "Send my files again" button under /mypurchases.

# A button under /mypurchases; $title is the product that gave the files.
files-resend-button = 📎 Send my files again: { $title }
# What pressing it did (plain text alerts).
files-queued-alert = Sending your files again now.
files-too-soon-alert = Your files were sent again less than a minute ago. Please wait a minute.
files-not-held-alert = This purchase has ended, so I cannot send its files again. See /shop to buy it again.
files-nothing-alert = This purchase has no files to send any more. Write /paysupport if you miss one.
