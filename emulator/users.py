"""What the test's users do in their chats with the bot, private or group: write, press
buttons, block it."""

from __future__ import annotations

import copy
import re
import secrets
import time

from emulator.core import EmulatorCore, MessageLike, as_dict
from emulator.models import JSON, Group, User
from emulator.telegram import unique_query_id

_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?(?=\s|$)")


class UserActions(EmulatorCore):
    """Users and their updates: each action queues the update Telegram would send."""

    def user(
        self,
        first_name: str | None = None,
        *,
        id: int | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> User:
        """A new user who has started the bot (so the bot may write to them)."""
        user_id = id if id is not None else self.telegram.chats.new_user_id()
        return self.add_user(
            User(
                id=user_id,
                first_name=first_name or f"User{user_id % 1000}",
                username=username,
                language_code=language_code,
                last_name=last_name,
            )
        )

    def group(
        self,
        title: str = "Test group",
        *,
        supergroup: bool = False,
        can_send: bool = True,
        id: int | None = None,
    ) -> Group:
        """A new group (or supergroup) the bot is in; `can_send=False`: the bot may read it but
        not write there; `id`: a chosen one (negative), else the next free one."""
        kind = "supergroup" if supergroup else "group"
        return self.telegram.chats.new_group(title, kind, id=id, can_send=can_send)

    def send_text(self, user: User, text: str, *, chat: Group | None = None) -> int:
        """The user writes `text` to the bot, or in `chat`, a group the bot is in; returns the
        update_id."""
        content: JSON = {"text": text}
        if match := _BOT_COMMAND.match(text):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(match.group(0))}
            ]
        author = self.add_user(user)
        message = self.telegram.chats.add_message(
            chat or author, from_bot=False, content=content, author=author
        )
        return self.telegram.updates.queue({"message": message})

    def press_button(
        self, user: User, message: MessageLike, callback_data: str, *, check: bool = True
    ) -> int:
        """The user presses an inline button of a bot message; returns the update_id.

        With `check` the button must exist in the message as it is now (after edits);
        `check=False` forges the data, as a modified client could.
        """
        message = as_dict(message)
        stored = self.telegram.chats.get(message["chat"]["id"], message["message_id"])
        if stored is None:
            raise ValueError(f"message {message['message_id']} is not in the chat (deleted?)")
        if check:
            offered = _callback_data_of(stored)
            if callback_data not in offered:
                raise ValueError(f"no button with data {callback_data!r}; buttons: {offered}")
        chat_id = stored["chat"]["id"]
        instance = self._chat_instances.setdefault(chat_id, str(-secrets.randbelow(10**18)))
        query_id = unique_query_id()
        query: JSON = {
            "id": query_id,
            "from": self.add_user(user).to_dict(),
            "message": copy.deepcopy(stored),
            "chat_instance": instance,
            "data": callback_data,
        }
        self.telegram.callback_queries[query_id] = query
        return self.telegram.updates.queue({"callback_query": query})

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: sending to them answers 403 from now on."""
        self.telegram.chats.blocked.add(user_id)
        if notify:
            self._queue_membership(user_id, old="member", new="kicked")

    def unblock(self, user_id: int, *, notify: bool = True) -> None:
        self.telegram.chats.blocked.discard(user_id)
        if notify:
            self._queue_membership(user_id, old="kicked", new="member")

    def queue_update(self, update: JSON) -> int:
        """Queue any update (its update_id, if any, is replaced by the next one)."""
        return self.telegram.updates.queue(update)

    def restart_update_ids(self, first: int) -> None:
        """Telegram starts update_id again at `first` (it does so at random after a week
        without updates): the next update gets it, whatever ids came before."""
        self.telegram.updates.restart_ids(first)

    def redeliver(self, update_id: int) -> int:
        """Deliver an update's content once more, under a fresh update_id.

        Models a duplicate delivery (e.g. the same successful_payment twice): the bot must
        cope whether or not it had confirmed the first one.
        """
        original = self.telegram.updates.history.get(update_id)
        if original is None:
            raise ValueError(f"update {update_id} was never queued")
        return self.telegram.updates.queue(original)

    def _queue_membership(self, user_id: int, *, old: str, new: str) -> None:
        user = self.telegram.chats.private_chat_of(user_id)
        bot = self.telegram.bot_user

        def member(status: str) -> JSON:
            return {
                "status": status,
                "user": bot,
                **({"until_date": 0} if status == "kicked" else {}),
            }

        self.queue_update(
            {
                "my_chat_member": {
                    "chat": user.private_chat(),
                    "from": user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )


def _callback_data_of(message: JSON) -> list[str]:
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [
        button["callback_data"] for row in keyboard for button in row if "callback_data" in button
    ]
