"""Telegram's side of messages: sending, editing and deleting them, and answering buttons."""

from __future__ import annotations

import copy
import mimetypes
import secrets
import time

from emulator.formatting import EntityParseError, format_text, utf16_len
from emulator.models import JSON, ApiError, UploadedFile, bad_request
from emulator.telegram.world import QUERY_TOO_OLD, SpecViolation, TelegramWorld, inline_markup

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
# Telegram's limits; text lengths in UTF-16 code units, as Telegram counts them.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # what a bot may send as a file


class MessageMethods(TelegramWorld):
    """sendMessage, sendDocument, the edits, the deletions and answerCallbackQuery."""

    def send_message(self, params: JSON) -> JSON:
        chat = self.chats.writable_chat(params["chat_id"])
        text, entities = formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        _check_text_length(text)
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._send(chat, params, content)

    def send_document(self, params: JSON) -> JSON:
        """A file: uploaded (the bytes are in the request's `files`), named by the file_id of
        one sent before, or by URL. An upload gets a new file_id that names it from then on."""
        chat = self.chats.writable_chat(params["chat_id"])
        document = params["document"]
        content = media_content("sendDocument", params)
        if isinstance(document, UploadedFile):
            content["document"] = self._uploaded_document(document)
        elif not str(document).startswith(("http://", "https://")):
            known = self.documents.get(str(document))
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            content["document"] = copy.deepcopy(known)
        if utf16_len(content.get("caption", "")) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return self._send(chat, params, content)

    def _uploaded_document(self, upload: UploadedFile) -> JSON:
        """The Document of a new upload, remembered under its new file_id."""
        if upload.size == 0:
            raise bad_request("file must be non-empty")
        if upload.size > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        guessed, _ = mimetypes.guess_type(upload.filename or "")
        document: JSON = {
            "file_id": "BQAC" + secrets.token_urlsafe(24),
            "file_unique_id": "AgAD" + secrets.token_urlsafe(8),
            "file_name": upload.filename or "document",
            "mime_type": guessed or upload.content_type,
            "file_size": upload.size,
        }
        self.uploads.append(upload)
        self.documents[document["file_id"]] = document
        return copy.deepcopy(document)

    def send_chat_action(self, params: JSON) -> bool:
        self.chats.writable_chat(params["chat_id"])
        return True

    def edit_message_text(self, params: JSON) -> JSON | bool:
        if "inline_message_id" in params:
            return True
        message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        _check_text_length(text)
        return self._edit(message, {"text": text, "entities": entities}, params)

    def edit_message_caption(self, params: JSON) -> JSON | bool:
        if "inline_message_id" in params:
            return True
        message = self._editable(params)
        caption, entities = formatted(params, "caption", "caption_entities")
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        changes = {"caption": caption or None, "caption_entities": entities}
        return self._edit(message, changes, params)

    def edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        if "inline_message_id" in params:
            return True
        return self._edit(self._editable(params), {}, params)

    def delete_message(self, params: JSON) -> bool:
        key = (params["chat_id"], params["message_id"])
        if self.chats.get(*key) is None:
            raise bad_request("message to delete not found")
        del self.chats.messages[key]
        return True

    def delete_messages(self, params: JSON) -> bool:
        chat_id = params["chat_id"]
        for message_id in params["message_ids"]:
            self.chats.messages.pop((chat_id, message_id), None)
        return True

    def answer_callback_query(self, params: JSON) -> bool:
        query_id = params["callback_query_id"]
        text = str(params.get("text", ""))
        if utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise SpecViolation(
                f"text is {utf16_len(text)} characters; the limit is {MAX_CALLBACK_ANSWER_LENGTH}",
                answer="MESSAGE_TOO_LONG",
            )
        if query_id not in self.callback_queries or query_id in self.callback_answers:
            raise bad_request(QUERY_TOO_OLD)
        self.callback_answers[query_id] = dict(params)
        return True

    def _editable(self, params: JSON) -> JSON:
        message = self.chats.get(params.get("chat_id"), params.get("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if not self.chats.is_from_bot(message):
            raise bad_request("message can't be edited")
        return message

    def _edit(self, message: JSON, changes: JSON, params: JSON) -> JSON:
        """Apply an edit; like Telegram, an edit without reply_markup drops the keyboard."""
        updated = copy.deepcopy(message)
        for key, value in {**changes, "reply_markup": None}.items():
            updated.pop(key, None)
            if value:
                updated[key] = value
        updated.update(inline_markup(params))
        updated.pop("edit_date", None)
        current = {key: value for key, value in message.items() if key != "edit_date"}
        if updated == current:
            raise bad_request(NOT_MODIFIED)
        updated["edit_date"] = int(time.time())
        message.clear()
        message.update(updated)
        return copy.deepcopy(message)


def formatted(params: JSON, text_field: str, entities_field: str) -> tuple[str, list[JSON]]:
    """Text and entities after parse_mode; explicit entities win, as on Telegram."""
    raw = str(params.get(text_field, ""))
    if entities_field in params:
        return raw, list(params[entities_field])
    try:
        return format_text(raw, params.get("parse_mode"))
    except EntityParseError as error:
        raise bad_request(f"can't parse entities: {error}") from error


def media_content(method: str, params: JSON) -> JSON:
    """The file and caption fields of a message that sendPhoto or sendDocument makes."""
    content: JSON = {}
    file_id = "AgAC" + secrets.token_urlsafe(24)
    unique_id = "AQAD" + secrets.token_urlsafe(8)
    if method == "sendPhoto":
        content["photo"] = [
            {"file_id": file_id, "file_unique_id": unique_id, "width": 90, "height": 90}
        ]
    elif method == "sendDocument":
        content["document"] = {"file_id": file_id, "file_unique_id": unique_id}
    caption, entities = formatted(params, "caption", "caption_entities")
    if caption:
        content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
    return content


def _check_text_length(text: str) -> None:
    """A message's text after entity parsing, as Telegram measures it."""
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise SpecViolation(
            f"text is {utf16_len(text)} UTF-16 units after parsing; the limit is "
            f"{MAX_TEXT_LENGTH}",
            answer="message is too long",
        )
