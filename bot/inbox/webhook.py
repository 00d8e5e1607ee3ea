"""Webhook mode: Telegram posts each update to this process, which stores it in the inbox.

A second way into the intake, beside the long poll (polling.py): an aiohttp server on
WEBHOOK_LISTEN, behind a reverse proxy that terminates TLS, serves POST on the path of
WEBHOOK_URL and `GET /healthz`. At start it asks Telegram to post there (setWebhook, tried
again on the back-off of `bot.telegram.failures` until it succeeds); the webhook stays set when
the process stops, for the other processes behind the proxy and for the next start.

Telegram sends an update again until it gets a 2xx, so the answer is the confirmation the long
poll gives with its next offset:
- 403 for a request without the right X-Telegram-Bot-Api-Secret-Token: not Telegram's;
- 400 for a body that is not an update (a JSON object with an integer update_id);
- 200 for a pre-checkout query once it is handed to its handler: it is answered by a Bot API
  call, as in polling mode, and stored only for the record;
- 200 for any other update once it is in the inbox (or parked there, when it cannot be stored
  even alone: see `Intake.store`); 503 while the inbox cannot be written, so Telegram sends it
  again later; 503 too once the process is stopping, so the proxy or Telegram tries elsewhere.

Telegram lets a webhook answer an update with a Bot API call in the response's body, which
would save the answerPreCheckoutQuery request. The bot does not do it: Telegram never says
whether it took such an answer, so the bot would lose both the knowledge that the buyer got
one and the retry of a failed answer within the query's 10 s.

Updates arriving together (Telegram opens up to WEBHOOK_MAX_CONNECTIONS at once) are stored in
one write (`_Batches`), in the order they arrived, as a long poll's batch is.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import time
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.utils.backoff import BackoffConfig
from aiohttp import web
from loguru import logger
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import HEALTH_PATH, ConfigError, Settings, listen_address
from bot.inbox.intake import Intake
from bot.inbox.polling import call_until_done
from bot.telegram.failures import WEBHOOK_BACKOFF, describe_failure
from storage import SyncState, Writer, WriterStopped
from storage.update_kinds import skips_queue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A load balancer's probe waits about this long: a write that takes longer means trouble.
HEALTH_TIMEOUT_SECONDS = 2.0
# Requests without the right secret are logged at most once in this many seconds: a scanner
# must not fill the log.
REJECTION_LOG_SECONDS = 60.0
SET_WEBHOOK_TIMEOUT = 10


class WebhookServer:
    """Takes updates Telegram posts into the intake; see the module docstring."""

    # Every process behind the reverse proxy takes requests (bot/leadership.py).
    every_process = True

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        writer: Writer,
        *,
        url: str,
        secret: str,
        listen: tuple[str, int],
        max_connections: int = 40,
        allowed_updates: list[str] | None = None,
        backoff: BackoffConfig = WEBHOOK_BACKOFF,
        health_timeout: float = HEALTH_TIMEOUT_SECONDS,
    ) -> None:
        self.bot = bot
        self.intake = intake
        self.writer = writer
        self.url = url
        self.listen = listen
        self.max_connections = max_connections
        self.allowed_updates = allowed_updates
        self.backoff = backoff
        self.health_timeout = health_timeout
        self.stopped_at: float | None = None
        self._secret = secret.encode()
        self._batches = _Batches(intake)
        self._accepting = False
        self._rejected = 0
        self._rejection_logged_at: float | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        bot: Bot,
        intake: Intake,
        writer: Writer,
        allowed_updates: list[str] | None,
    ) -> WebhookServer:
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        return cls(
            bot,
            intake,
            writer,
            url=settings.webhook_url,
            secret=settings.webhook_secret.get_secret_value(),
            listen=listen_address(settings.webhook_listen),
            max_connections=settings.webhook_max_connections,
            allowed_updates=allowed_updates,
        )

    @property
    def host(self) -> str:
        """The webhook's host, for log lines: its path may be meant to be hard to guess."""
        return urlsplit(self.url).hostname or "?"

    async def run(self, stop: asyncio.Event, grace: float) -> None:
        """Serve until `stop` is set; then answer 503 to new requests, and let running
        handlers finish for up to `grace` seconds."""
        await self.intake.runner.start()
        runner = await self._listen()
        self._accepting = True
        setting = asyncio.create_task(self._set_webhook(stop))
        try:
            await stop.wait()
        finally:
            self._accepting = False
            setting.cancel()
            await asyncio.gather(setting, return_exceptions=True)
            await self._batches.idle()
            self.stopped_at = time.monotonic()
            await self.intake.drain(grace)
            await runner.cleanup()

    async def _listen(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post(urlsplit(self.url).path, self._receive)
        app.router.add_get(HEALTH_PATH, self._health)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        host, port = self.listen
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ConfigError(
                f"cannot listen on WEBHOOK_LISTEN={host}:{port}: {reason}; "
                "choose another port, or stop what uses it"
            ) from None
        logger.info("webhook mode: listening on {}:{} for updates to {}", host, port, self.host)
        return runner

    async def _set_webhook(self, stop: asyncio.Event) -> None:
        def call() -> Awaitable[bool]:
            return self.bot.set_webhook(
                self.url,
                secret_token=self._secret.decode(),
                allowed_updates=self.allowed_updates,
                max_connections=self.max_connections,
                drop_pending_updates=False,
                request_timeout=SET_WEBHOOK_TIMEOUT,
            )

        if await call_until_done(stop, call, "setWebhook", self.backoff):
            logger.info("webhook set: Telegram posts updates to {}", self.host)

    async def _receive(self, request: web.Request) -> web.Response:
        if not self._accepting:
            return _plain(503, "stopping")
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            self._log_rejection(request)
            return _plain(403, "forbidden")
        body = await request.read()
        raw = _update_in(body)
        if raw is None:
            logger.warning(
                "refused a webhook request whose body ({} bytes) is not an update (400)",
                len(body),
            )
            return _plain(400, "not an update")
        if skips_queue(raw):
            self.intake.take([raw])
            return _plain(200, "ok")
        if await self._batches.store(raw):
            return _plain(200, "ok")
        return _plain(503, "the inbox cannot be written; send it again later")

    def _log_rejection(self, request: web.Request) -> None:
        self._rejected += 1
        now = time.monotonic()
        last = self._rejection_logged_at
        if last is not None and now - last < REJECTION_LOG_SECONDS:
            return
        logger.warning(
            "refused {} webhook request(s) without the right {} header (403), the latest from "
            "{}: not from Telegram, or WEBHOOK_SECRET differs from the one the webhook was set "
            "with; at most one such line a minute",
            self._rejected,
            SECRET_HEADER,
            request.remote,
        )
        self._rejected, self._rejection_logged_at = 0, now

    async def _health(self, _: web.Request) -> web.Response:
        """200 while an update could be stored now: the database takes a write through the
        writer within `health_timeout` (a locked database, or a writer that died, does not)."""
        if not self._accepting:
            return _plain(503, "stopping")
        try:
            async with asyncio.timeout(self.health_timeout):
                await self.writer.write(_probe)
        except TimeoutError:
            reason = f"the database took no write within {self.health_timeout:g}s"
            return _plain(503, reason + " (locked, or the writer is stuck)")
        except WriterStopped:
            return _plain(503, "the database writer is not running")
        except Exception as exc:
            return _plain(503, f"the database cannot be written: {describe_failure(exc)}")
        return _plain(200, "ok")


class _Batches:
    """Stores the updates of concurrent requests in one write at a time, in the order they came;
    each request learns whether its update is in the inbox (`Intake.store`)."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        # Waiting for the next write, by update_id: the update, and the requests that sent it
        # (Telegram may send it again while the first request waits).
        self._waiting: dict[int, tuple[dict[str, Any], list[asyncio.Future[bool]]]] = {}
        self._writing: asyncio.Task[None] | None = None

    async def store(self, raw: dict[str, Any]) -> bool:
        stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(raw["update_id"], (raw, []))[1].append(stored)
        if self._writing is None:
            self._writing = asyncio.create_task(self._write())
        return await stored

    async def idle(self) -> None:
        """Until every update received so far was stored (or failed to be)."""
        if self._writing is not None:
            await asyncio.gather(self._writing, return_exceptions=True)

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    kept = await self.intake.store({key: raw for key, (raw, _) in batch.items()})
                except Exception as exc:  # a bug: Telegram sends the updates again
                    logger.error("could not store webhook updates: {}", describe_failure(exc))
                    kept = set()
                for update_id, (_, requests) in batch.items():
                    for request in requests:
                        if not request.done():
                            request.set_result(update_id in kept)
        finally:
            self._writing = None


def _update_in(body: bytes) -> dict[str, Any] | None:
    """The update in a request's body; None when it is not one."""
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    update_id = raw.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    return raw


async def _probe(session: AsyncSession) -> None:
    """A write that changes nothing, but needs what every write needs: SQLite's write lock, a
    PostgreSQL transaction that may write."""
    name = "healthz: no such counter"
    await session.exec(update(SyncState).where(col(SyncState.name) == name).values(value=0))


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n")
