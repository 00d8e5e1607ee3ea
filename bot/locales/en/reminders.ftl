# Reminders a day before paid access ends, and their buttons.

# Access for a number of days ends; a Buy again button follows.
reminders-timed =
    ⏰ Your <b>{ $title }</b> ends on { $when }, in about a day.
    Buy it again to add { $days ->
        [one] { $days } more day
       *[other] { $days } more days
    } from then.
# A cancelled subscription ends; a Resume button follows. $price: e.g. "75 ⭐ a month".
reminders-subscription = ⏰ Your subscription to <b>{ $title }</b> ends on { $when }, in about a day: you cancelled its renewal. Resume it to keep it, for { $price }.
reminders-buy-again-button = Buy again: { $price }
