"""A Telegram Bot API server on loopback for end-to-end tests, the demo and the bench.

The bot talks real HTTP to it, exactly as to api.telegram.org; the test plays the users
(messages, button presses, Stars payments) and Telegram's failures, then asserts on the
requests the bot made. Every request is checked against the published Bot API spec.

BotAPIEmulator is put together from parts by what they play: users.py (chats), groups.py
(members of groups and channels, join requests), checkout.py (Stars payments), faults.py
(failures), waiting.py (waits on the bot), over the state in core.py; Telegram's side of each
method is in telegram/.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from emulator.checkout import PaymentActions
from emulator.core import DEFAULT_SPEC_PATH, DEFAULT_TOKEN
from emulator.faults import FaultAnswer, FaultInjection
from emulator.groups import ChatActions
from emulator.models import JSON, ApiError, Request, UploadedFile, bad_request
from emulator.spec import MethodSpec, aiogram_method_fields
from emulator.telegram import SpecViolation
from emulator.users import UserActions
from emulator.waiting import Waiting

__all__ = ["DEFAULT_SPEC_PATH", "DEFAULT_TOKEN", "BotAPIEmulator"]

ATTACH_PREFIX = "attach://"


class BotAPIEmulator(UserActions, ChatActions, PaymentActions, FaultInjection, Waiting):
    """Telegram's Bot API for one bot, served over HTTP on 127.0.0.1."""

    async def start(self) -> None:
        """Serve on `host:port` (a free port the first time).

        After `stop()` the same port and all state are reused, so a test can take
        "Telegram" down and bring it back.
        """
        self.telegram.updates.reopen()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for path in ("/bot{token}/test/{method}", "/bot{token}/{method}"):
            app.router.add_get(path, self._handle, allow_head=False)
            app.router.add_post(path, self._handle)
        app.add_routes(self.extra_routes)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.telegram.webhook.start()

    async def stop(self) -> None:
        self.telegram.updates.close()
        await self.telegram.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, http: web.Request) -> web.StreamResponse:
        try:
            raw = await _read_params(http)
        except ApiError as error:
            return web.json_response(error.to_json(), status=error.status)
        name = http.match_info["method"]
        method = self.spec.method(name)
        request = Request(
            method=method.name if method else name,
            params={},
            time=time.monotonic(),
            http_method=http.method,
            path=http.path,
        )
        request.params, request.files = self._decode(method, raw)
        self._log(request)
        if http.match_info["token"] != self.token:
            return self._finish(request, ApiError(401, "Unauthorized"))
        if method is None:
            self.violations.append(f"{name}: no such method in the Bot API")
            return self._finish(request, ApiError(404, "Not Found: method not found"))
        await self._run_hook(request)
        self._notify()
        try:
            outcome: Any = {"ok": True, "result": await self._perform(request, method, http)}
        except ApiError as error:
            outcome = error
        except FaultAnswer as fault:
            return self._finish_fault(request, fault.fault, http)
        except Exception as error:
            # A bug of the emulator, not of the bot: answer like a Telegram outage, keep going.
            self.emulator_errors.append(f"{method.name}: {type(error).__name__}: {error}")
            outcome = ApiError(500, "Internal Server Error")
        return self._finish(request, outcome)

    def _decode(
        self, method: MethodSpec | None, raw: dict[str, Any]
    ) -> tuple[JSON, dict[str, UploadedFile]]:
        """Params by field type; file parts only named by attach:// go to `files`."""
        known = (set(method.fields) | aiogram_method_fields(method.name)) if method else set()
        files = {
            key: value
            for key, value in raw.items()
            if isinstance(value, UploadedFile) and key not in known
        }
        fields = {key: value for key, value in raw.items() if key not in files}
        params = self.spec.decode(method, fields) if method else fields
        return params, files

    async def _perform(self, request: Request, method: MethodSpec, http: web.Request) -> Any:
        problems = self.spec.check_request(method, request.params)
        if problems:
            self.violations.extend(problems)
            raise ApiError(400, f"Bad Request: {problems[0]}")
        fault = self._next_fault(method.name)
        if fault is not None:
            request.fault = fault
            await asyncio.sleep(fault.delay)
            if fault.status is not None:
                raise FaultAnswer(fault)
        self._check_rate_limit(method.name)
        if method.name == "getUpdates":
            return await self.telegram.get_updates(request.params, lambda: _client_gone(http))
        try:
            return self.telegram.handle(method.name, _attached(request))
        except SpecViolation as violation:
            self.violations.append(f"{method.name}: {violation.reason}")
            raise

    async def _run_hook(self, request: Request) -> None:
        if self.on_request is None:
            return
        outcome = self.on_request(request)
        if inspect.isawaitable(outcome):
            await outcome


async def _read_params(http: web.Request) -> dict[str, Any]:
    """Query string and body (multipart, urlencoded or JSON) as raw values."""
    raw: dict[str, Any] = dict(http.query)
    if not http.can_read_body:
        return raw
    if http.content_type == "application/json":
        try:
            body = await http.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON object expected")
        raw.update(body)
        return raw
    form = await http.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            content = value.file.read()
            raw[key] = UploadedFile(value.filename, value.content_type, len(content), content)
        else:
            raw[key] = value
    return raw


def _attached(request: Request) -> JSON:
    """The params with each "attach://<name>" replaced by the file uploaded as <name>."""
    params = dict(request.params)
    for key, value in request.params.items():
        if isinstance(value, str) and value.startswith(ATTACH_PREFIX):
            uploaded = request.files.get(value.removeprefix(ATTACH_PREFIX))
            if uploaded is None:
                raise bad_request(f"{key}: there is no file part named in {value!r}")
            params[key] = uploaded
    return params


def _client_gone(http: web.Request) -> bool:
    transport = http.transport
    return transport is None or transport.is_closing()
