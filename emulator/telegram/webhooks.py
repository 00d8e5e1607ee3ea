"""Telegram's side of a webhook: setWebhook, deleteWebhook, getWebhookInfo, and posting each
update to the webhook while one is set.

Updates go out in update_id order, at most `max_connections` at once, with the
X-Telegram-Bot-Api-Secret-Token header when a secret_token was set. A chat's updates go one at
a time, each after the one before it was taken, so a test can check each chat's order; other
chats' go side by side. An update answered with anything but a 2xx, or not answered, is posted
again after `retry_seconds` (its chat waits), and the failure is kept as getWebhookInfo's
last_error_date and last_error_message, worded as Telegram words them. pending_update_count
counts the updates not yet taken. While a webhook is set, getUpdates answers 409.

A webhook's URL is https on port 443, 80, 88 or 8443, which a test cannot serve. As in a real
deployment, where a reverse proxy terminates TLS and passes the request on, `route` says where
a URL's requests go: to one plain-HTTP address, or to several in turn (a load balancer, round
robin). The path and query of the webhook's URL are kept. A URL without a route fails like a
host that does not resolve.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Hashable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from emulator.models import JSON, bad_request
from emulator.telegram.updates import UpdateQueue, update_kind

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PORTS = (443, 80, 88, 8443)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
ONLY_PORTS = "Webhook can be set up only on ports 80, 88, 443 or 8443"
UNRESOLVED = "Failed to resolve host: Name or service not known"


@dataclass
class WebhookAttempt:
    """One POST of an update to the webhook, as the test may look at it."""

    update_id: int
    target: str  # where the request went (after the route)
    at: float  # time.monotonic() when it was answered, or failed
    status: int | None  # None: no HTTP answer
    error: str | None  # None: taken (a 2xx)


class Webhook:
    """The webhook of one bot; see the module docstring."""

    def __init__(self, updates: UpdateQueue) -> None:
        self.updates = updates
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.ip_address: str | None = None
        self.has_custom_certificate = False
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        # Telegram waits longer before posting an update again; tests need not.
        self.retry_seconds = 0.5
        self.timeout_seconds = 30.0
        self.attempts: list[WebhookAttempt] = []
        self._routes: dict[str, list[str]] = {}
        self._turns: dict[str, int] = {}
        self._posting: dict[int, Hashable] = {}  # update_id: its chat
        self._retry_at: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._kick = asyncio.Event()
        updates.listeners.append(self._kick.set)

    # -- the Bot API methods ---------------------------------------------------------------

    def set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url", ""))
        if not url:
            return self.delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        connections = int(params.get("max_connections", 40))
        if not 1 <= connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        self.url, self.secret_token, self.max_connections = url, secret, connections
        self.ip_address = params.get("ip_address")
        self.has_custom_certificate = params.get("certificate") is not None
        if params.get("allowed_updates") is not None:
            self.updates.allowed_updates = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self.updates.drop_pending()
        self.updates.webhook_active = True
        self.updates.notify()
        return True

    def delete_webhook(self, params: JSON) -> bool:
        self.url, self.secret_token, self.ip_address = "", None, None
        self.last_error_date = self.last_error_message = None
        self.has_custom_certificate = False
        self._retry_at.clear()
        self.updates.webhook_active = False
        if params.get("drop_pending_updates"):
            self.updates.drop_pending()
        self.updates.notify()
        return True

    def get_webhook_info(self, _: JSON) -> JSON:
        info: JSON = {
            "url": self.url,
            "has_custom_certificate": self.has_custom_certificate,
            "pending_update_count": self.updates.pending_count,
        }
        if self.url:
            info["max_connections"] = self.max_connections
        optional = {
            "ip_address": self.ip_address,
            "last_error_date": self.last_error_date,
            "last_error_message": self.last_error_message,
            "allowed_updates": self.updates.allowed_updates or None,
        }
        info.update({key: value for key, value in optional.items() if value is not None})
        return info

    # -- where the requests go -------------------------------------------------------------

    def route(self, url: str, *targets: str) -> None:
        """Requests to `url` go to `targets` (http://host:port), in turn; none: no route."""
        self._routes[url] = [target.rstrip("/") for target in targets]
        self._turns[url] = 0
        self._kick.set()

    def start(self) -> None:
        """Start posting (the emulator started)."""
        if self._loop_task is None:
            self._session = aiohttp.ClientSession()
            self._loop_task = asyncio.create_task(self._post_pending(), name="webhook")

    async def stop(self) -> None:
        """Stop posting (the emulator stopped): requests under way are cut off, unanswered."""
        tasks = [task for task in (self._loop_task, *self._tasks) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- posting ---------------------------------------------------------------------------

    async def _post_pending(self) -> None:
        while True:
            self._kick.clear()
            wait: float | None = None
            if self.url:
                self._start_due(time.monotonic())
                if self._retry_at:
                    wait = max(0.0, min(self._retry_at.values()) - time.monotonic())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._kick.wait()

    def _start_due(self, now: float) -> None:
        """Post the next updates in order: one at a time per chat, within max_connections."""
        busy = set(self._posting.values())
        room = self.max_connections - len(self._posting)
        for update in self.updates.iter_pending():
            if room <= 0:
                return
            update_id, chat = update["update_id"], _chat_of(update)
            if not self.updates.allows(update_kind(update)) or chat in busy:
                continue
            busy.add(chat)
            if update_id in self._posting or self._retry_at.get(update_id, 0) > now:
                continue
            self._retry_at.pop(update_id, None)
            self._posting[update_id] = chat
            task = asyncio.create_task(self._post(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            room -= 1

    async def _post(self, update: JSON) -> None:
        update_id = update["update_id"]
        target, status, error = self._next_target(), None, None
        try:
            if target is None:
                target, error = self.url, UNRESOLVED
            else:
                status, error = await self._request(target, update)
        finally:
            self._posting.pop(update_id, None)
        self.updates.deliveries[update_id] += 1
        self.attempts.append(WebhookAttempt(update_id, target, time.monotonic(), status, error))
        if error is None:
            self.updates.acknowledge(update_id)
        else:
            self.last_error_date, self.last_error_message = int(time.time()), error
            self._retry_at[update_id] = time.monotonic() + self.retry_seconds
        self.updates.notify()

    async def _request(self, target: str, update: JSON) -> tuple[int | None, str | None]:
        assert self._session is not None
        headers = {SECRET_HEADER: self.secret_token} if self.secret_token else {}
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        try:
            async with self._session.post(
                target, json=update, headers=headers, timeout=timeout
            ) as response:
                await response.read()
        except TimeoutError:
            return None, "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return None, "Connection refused"
        except aiohttp.ClientError as exc:
            return None, f"Connection error: {type(exc).__name__}"
        if 200 <= response.status < 300:
            return response.status, None
        return response.status, (
            f"Wrong response from the webhook: {response.status} {response.reason}"
        )

    def _next_target(self) -> str | None:
        """Where this request goes: the next of the URL's route, with the URL's path."""
        targets = self._routes.get(self.url)
        if not targets:
            return None
        turn = self._turns[self.url]
        self._turns[self.url] = turn + 1
        parts = urlsplit(self.url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{targets[turn % len(targets)]}{parts.path}{query}"


def _chat_of(update: JSON) -> Hashable:
    """The chat whose updates go one at a time: the chat's, else the sender's, else its own.
    The bot reads an update's chat the same way (storage/update_kinds.py); the emulator plays
    Telegram and imports none of the bot's code, so it keeps its own reading."""
    content = update.get(update_kind(update))
    if isinstance(content, dict):
        for holder in (content, content.get("message")):
            if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                return int(holder["chat"]["id"])
        for field in ("from", "user"):
            if isinstance(content.get(field), dict):
                return int(content[field]["id"])
    return ("update", update["update_id"])
