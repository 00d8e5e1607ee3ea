"""A Telegram Bot API server on loopback for end-to-end tests.

The bot talks real HTTP to it, exactly as to api.telegram.org; the test plays the users
(messages, button presses, Stars payments) and Telegram's failures, then asserts on the
requests the bot made. Every request is checked against the published Bot API spec.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import inspect
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from emulator.models import (
    JSON,
    NO_HTTP_ANSWER,
    ApiError,
    Charge,
    CheckoutResult,
    Fault,
    InvoiceLink,
    Request,
    SentInvoice,
    StarSubscription,
    UploadedFile,
    User,
    bad_request,
)
from emulator.spec import BotAPISpec, MethodSpec, aiogram_method_fields
from emulator.telegram import FakeTelegram, SpecViolation, unique_query_id

DEFAULT_TOKEN = "123456:TEST-token"
# The published Bot API as data (see the README's "Tests" section for its source and refresh).
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "telegram-bot-api.json"
PAYMENT_ANSWER_TIMEOUT = 10.0
_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_FAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
}
ATTACH_PREFIX = "attach://"
_EDIT_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})

RequestHook = Callable[[Request], Any]
# A Message dict as the emulator returned it, or aiogram's Message object.
MessageLike = Mapping[str, Any] | Any


class BotAPIEmulator:
    """Telegram's Bot API for one bot, served over HTTP on 127.0.0.1."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        spec_path: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.spec = BotAPISpec.load(spec_path or DEFAULT_SPEC_PATH)
        self.telegram = FakeTelegram(token, self.spec)
        self.host = host
        self.port = port
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.emulator_errors: list[str] = []
        self.unanswered_pre_checkouts: list[JSON] = []
        self.message_rate_limit: float | None = None
        self.rate_limited = 0
        self.on_request: RequestHook | None = None
        self._faults: dict[str, deque[Fault]] = {}
        self._sent_at: deque[float] = deque()
        self._activity = asyncio.Event()
        self._chat_instances: dict[int, str] = {}
        self._runner: web.AppRunner | None = None
        self.telegram.updates.listeners.append(self._notify)
        self._sending_methods = frozenset(
            name
            for name, method in self.spec.methods.items()
            if name.startswith(("send", "forward", "copy"))
            and any("Message" in returned for returned in method.returns)
        )

    # -- lifecycle ------------------------------------------------------------------------

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
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.telegram.updates.close()
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

    @property
    def base_url(self) -> str:
        """What `TelegramAPIServer.from_base()` (or the bot's API URL setting) needs."""
        return f"http://{self.host}:{self.port}"

    # -- state the tests look at ------------------------------------------------------------

    @property
    def bot_user(self) -> JSON:
        return copy.deepcopy(self.telegram.bot_user)

    @property
    def charges(self) -> dict[str, Charge]:
        return self.telegram.ledger.charges

    @property
    def star_transactions(self) -> list[JSON]:
        return self.telegram.ledger.transactions

    @property
    def star_balance(self) -> int:
        return self.telegram.ledger.balance

    @property
    def invoices(self) -> list[SentInvoice]:
        return self.telegram.invoices

    @property
    def invoice_links(self) -> dict[str, InvoiceLink]:
        """The links createInvoiceLink made, by URL."""
        return self.telegram.invoice_links

    @property
    def subscriptions(self) -> dict[str, StarSubscription]:
        """Stars subscriptions, by the charge id of their first payment."""
        return self.telegram.ledger.subscriptions

    @property
    def confirmed_offset(self) -> int:
        return self.telegram.updates.confirmed_offset

    @property
    def deliveries(self) -> Counter[int]:
        """How many times getUpdates returned each update (0 for one never returned)."""
        return Counter(self.telegram.updates.deliveries)

    @property
    def pending_updates(self) -> list[JSON]:
        return copy.deepcopy(self.telegram.updates.pending)

    @property
    def callback_answers(self) -> dict[str, JSON]:
        return self.telegram.callback_answers

    @property
    def commands(self) -> dict[tuple[str, str], list[JSON]]:
        return self.telegram.commands

    def calls(self, method: str) -> list[Request]:
        """Requests of one method (any spelling), in arrival order."""
        canonical = self._canonical(method)
        return [request for request in self.requests if request.method == canonical]

    def sent_messages(self, chat_id: int | None = None) -> list[JSON]:
        """Messages the bot sent or edited, as returned to it (one entry per call)."""
        messages = _messages_in(self.requests, self._sending_methods | _EDIT_METHODS)
        return [m for m in messages if chat_id is None or m["chat"]["id"] == chat_id]

    def chat_history(self, chat_id: int) -> list[JSON]:
        """The chat as the user sees it now: after edits and deletions, both sides."""
        return self.telegram.chats.history(chat_id)

    def mark(self) -> int:
        """A position in `requests`, for `since=` in the wait helpers."""
        return len(self.requests)

    # -- users ---------------------------------------------------------------------------

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

    def add_user(self, user: User) -> User:
        return self.telegram.chats.register(user)

    def send_text(self, user: User, text: str) -> int:
        """The user writes `text` to the bot; returns the update_id."""
        content: JSON = {"text": text}
        if match := _BOT_COMMAND.match(text):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(match.group(0))}
            ]
        message = self.telegram.chats.add_message(
            self.add_user(user), from_bot=False, content=content
        )
        return self.telegram.updates.queue({"message": message})

    def press_button(
        self, user: User, message: MessageLike, callback_data: str, *, check: bool = True
    ) -> int:
        """The user presses an inline button of a bot message; returns the update_id.

        With `check` the button must exist in the message as it is now (after edits);
        `check=False` forges the data, as a modified client could.
        """
        message = _as_dict(message)
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

    def redeliver(self, update_id: int) -> int:
        """Deliver an update's content once more, under a fresh update_id.

        Models a duplicate delivery (e.g. the same successful_payment twice): the bot must
        cope whether or not it had confirmed the first one.
        """
        original = self.telegram.updates.history.get(update_id)
        if original is None:
            raise ValueError(f"update {update_id} was never queued")
        return self.telegram.updates.queue(original)

    # -- payments --------------------------------------------------------------------------

    async def pay(
        self,
        user: User,
        invoice_message: MessageLike | None = None,
        *,
        payload: str | None = None,
        total_amount: int | None = None,
        currency: str | None = None,
        link: str | None = None,
        timeout: float = PAYMENT_ANSWER_TIMEOUT,
    ) -> CheckoutResult:
        """The user pays an invoice: pre_checkout_query, the bot's answer, then the payment.

        Title, payload, amount and currency come from the invoice the bot sent in
        `invoice_message`, or from the invoice `link` it created; explicit values override
        them (to pay a forged payload or a wrong amount). Telegram gives the bot `timeout`
        seconds to answer.
        """
        answered = await self.pre_checkout(
            user,
            invoice_message,
            payload=payload,
            total_amount=total_amount,
            currency=currency,
            link=link,
            timeout=timeout,
        )
        if not answered.ok:
            return answered
        return self.complete_payment(answered)

    async def pay_link(
        self, user: User, link: str, *, timeout: float = PAYMENT_ANSWER_TIMEOUT
    ) -> CheckoutResult:
        """The user opens an invoice link (createInvoiceLink) and pays it: a link with a
        subscription_period starts a subscription (see `renew`)."""
        return await self.pay(user, link=link, timeout=timeout)

    def renew(self, charge_id: str, *, deliver: bool = True) -> CheckoutResult:
        """Telegram charges the next period of the subscription `charge_id` belongs to: a new
        charge and Star transaction, and (`deliver`) a successful_payment with is_recurring and
        the new subscription_expiration_date. A subscription the bot cancelled does not renew
        (ValueError)."""
        charge, update_id = self.telegram.renew(charge_id, deliver=deliver)
        return CheckoutResult(
            True,
            None,
            charge.charge_id,
            None,
            update_id,
            subscription_period=charge.subscription_period,
        )

    async def pre_checkout(
        self,
        user: User,
        invoice_message: MessageLike | None = None,
        *,
        payload: str | None = None,
        total_amount: int | None = None,
        currency: str | None = None,
        link: str | None = None,
        timeout: float = PAYMENT_ANSWER_TIMEOUT,
    ) -> CheckoutResult:
        """The first half of `pay`: the user presses Pay and the bot answers (or not).

        An accepted result is paid with `complete_payment`, later, to deliver many payments
        at once after their pre-checkouts.
        """
        self.add_user(user)
        invoice: SentInvoice | InvoiceLink | None = None
        if invoice_message is not None:
            invoice = self._invoice_of(_as_dict(invoice_message))
        elif link is not None:
            invoice = self.telegram.invoice_links.get(link)
            if invoice is None:
                raise ValueError(f"{link} is not an invoice link the bot created")
        payload = payload if payload is not None else (invoice.payload if invoice else None)
        if total_amount is None and invoice is not None:
            total_amount = invoice.total_amount
        currency = currency or (invoice.currency if invoice else "XTR")
        if payload is None or total_amount is None:
            raise ValueError("pay() needs the invoice message, or payload and total_amount")
        period = invoice.subscription_period if isinstance(invoice, InvoiceLink) else None
        query_id = self.telegram.start_checkout(user, currency, total_amount, payload, period)
        pending = self.telegram.pre_checkouts[query_id]
        try:
            ok, error_message, answered_at = await asyncio.wait_for(
                asyncio.shield(pending.answer), timeout
            )
        except TimeoutError:
            pending.expired = True
            self.unanswered_pre_checkouts.append(copy.deepcopy(pending.query))
            return CheckoutResult(False, "timeout", None, None, None)
        answered_in = answered_at - pending.queued_at
        if not ok:
            return CheckoutResult(False, error_message, None, answered_in, None)
        return CheckoutResult(
            True, None, None, answered_in, None, query_id=query_id, subscription_period=period
        )

    def complete_payment(self, accepted: CheckoutResult) -> CheckoutResult:
        """The second half of `pay`: Telegram takes the Stars and sends successful_payment."""
        if not accepted.ok or accepted.query_id is None:
            raise ValueError("only a pre-checkout the bot accepted can be paid")
        pending = self.telegram.pre_checkouts[accepted.query_id]
        query = pending.query
        user = self.telegram.chats.private_chat_of(query["from"]["id"])
        charge, update_id = self.telegram.complete_payment(
            user,
            query["currency"],
            query["total_amount"],
            query["invoice_payload"],
            pending.subscription_period,
        )
        return dataclasses.replace(
            accepted, charge_id=charge.charge_id, successful_payment_update_id=update_id
        )

    def pay_while_bot_down(
        self, user: User, payload: str, total_amount: int, currency: str = "XTR"
    ) -> str:
        """A payment Telegram took whose update never reached the bot: ledger only."""
        charge = self.telegram.ledger.record_payment(
            self.add_user(user), total_amount, payload, currency
        )
        return charge.charge_id

    def refund_outside_bot(self, charge_id: str, *, notify: bool = True) -> int | None:
        """A refund made elsewhere (e.g. by Telegram support); returns the update_id."""
        charge = self.telegram.ledger.refund(charge_id)
        return self.telegram.notify_refund(charge) if notify else None

    # -- failure modes ---------------------------------------------------------------------

    def inject(self, method: str, fault: Fault, times: int = 1) -> None:
        """The next `times` calls of `method` get `fault` instead of the normal answer."""
        queue = self._faults.setdefault(self._canonical(method), deque())
        queue.extend([fault] * times)

    # -- waiting ---------------------------------------------------------------------------

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Request], bool] | None = None,
        timeout: float = 10.0,
        count: int = 1,
        *,
        since: int = 0,
        answered: bool = True,
    ) -> Request:
        """The latest request of `method` once `count` of them match.

        Only answered requests count (so `.response` is there), unless `answered=False`:
        then arrival is enough, e.g. to know a long-poll is waiting.
        """
        canonical = self._canonical(method)

        def matching() -> list[Request]:
            return [
                request
                for request in self.requests[since:]
                if request.method == canonical
                and (request.status is not None or not answered)
                and (predicate is None or predicate(request))
            ]

        await self._wait_until(lambda: len(matching()) >= count, timeout, f"{count} {canonical}")
        return matching()[-1]

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        text_contains: str | None = None,
        since: int = 0,
        timeout: float = 10.0,
    ) -> JSON:
        """The first message the bot sent to `chat_id` (after `since`) that matches."""

        def found() -> JSON | None:
            start = self.requests[since:]
            for message in _messages_in(start, self._sending_methods):
                text = message.get("text") or message.get("caption") or ""
                if message["chat"]["id"] == chat_id and (text_contains or "") in text:
                    return message
            return None

        what = f"a message to {chat_id}" + (
            f" containing {text_contains!r}" if text_contains else ""
        )
        await self._wait_until(lambda: found() is not None, timeout, what)
        message = found()
        assert message is not None
        return message

    async def wait_confirmed(
        self,
        update_id: int,
        timeout: float = 10.0,
    ) -> None:
        """Until the bot confirmed the update (asked getUpdates for a later offset)."""
        await self._wait_until(
            lambda: self.confirmed_offset > update_id, timeout, f"confirmation of {update_id}"
        )

    async def _wait_until(self, condition: Callable[[], bool], seconds: float, what: str) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not condition():
                    await self._activity.wait()
        except TimeoutError:
            raise TimeoutError(self._timeout_report(what, seconds)) from None

    def _timeout_report(self, what: str, seconds: float) -> str:
        recent = [request.summary() for request in self.requests[-15:]]
        return (
            f"no {what} within {seconds} s; {len(self.requests)} requests, "
            f"{len(self.telegram.updates.pending)} updates pending; last requests:\n  "
            + "\n  ".join(recent or ["(none)"])
        )

    def _notify(self) -> None:
        """Wake every waiter to re-check its condition (a request came or was answered)."""
        self._activity.set()
        self._activity = asyncio.Event()

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, http: web.Request) -> web.StreamResponse:
        try:
            raw = await _read_params(http)
        except ApiError as error:
            return _json_response(error.status, error.to_json())
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
        self.requests.append(request)
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
        except _FaultAnswer as fault:
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
                raise _FaultAnswer(fault)
        self._check_rate_limit(method.name)
        if method.name == "getUpdates":
            return await self.telegram.get_updates(request.params, lambda: _client_gone(http))
        try:
            return self.telegram.handle(method.name, _attached(request))
        except SpecViolation as violation:
            self.violations.append(f"{method.name}: {violation.reason}")
            raise

    def _next_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        return queue.popleft() if queue else None

    def _check_rate_limit(self, method: str) -> None:
        """Flood control over a sliding second; a rejected request sends nothing."""
        if self.message_rate_limit is None or method not in self._sending_methods:
            return
        now = time.monotonic()
        while self._sent_at and now - self._sent_at[0] >= 1.0:
            self._sent_at.popleft()
        if len(self._sent_at) >= self.message_rate_limit:
            self.rate_limited += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._sent_at.append(now)

    async def _run_hook(self, request: Request) -> None:
        if self.on_request is None:
            return
        outcome = self.on_request(request)
        if inspect.isawaitable(outcome):
            await outcome

    def _finish(self, request: Request, outcome: JSON | ApiError) -> web.Response:
        if isinstance(outcome, ApiError):
            status, body = outcome.status, outcome.to_json()
        else:
            status, body = 200, outcome
        request.status, request.response = status, body
        request.answered_at = time.monotonic()
        self._notify()
        return _json_response(status, body)

    def _finish_fault(self, request: Request, fault: Fault, http: web.Request) -> web.Response:
        if fault.raw is not None and http.transport is not None:
            http.transport.write(fault.raw)
            http.transport.close()  # what aiohttp then writes goes nowhere
            request.status, request.response = NO_HTTP_ANSWER, fault.raw.decode(errors="replace")
            request.answered_at = time.monotonic()
            self._notify()
            return web.Response()
        status = fault.status or 500
        if fault.body is not None or (status == 502 and fault.description is None):
            text = fault.body if fault.body is not None else _NGINX_502
            request.status, request.response = status, text
            request.answered_at = time.monotonic()
            self._notify()
            return web.Response(status=status, text=text, content_type="text/html")
        return self._finish(request, _fault_error(fault))

    # -- small helpers ----------------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        spec = self.spec.method(method)
        if spec is None:
            raise ValueError(f"{method!r} is not a Bot API method")
        return spec.name

    def _invoice_of(self, message: JSON) -> SentInvoice:
        key = (message["chat"]["id"], message["message_id"])
        for invoice in self.telegram.invoices:
            if (invoice.chat_id, invoice.message_id) == key:
                return invoice
        raise ValueError(f"message {key} is not an invoice the bot sent")

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


class _FaultAnswer(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.status)
        self.fault = fault


def _fault_error(fault: Fault) -> ApiError:
    status = fault.status or 500
    if status == 429:
        retry_after = fault.retry_after if fault.retry_after is not None else 1
        description = fault.description or f"Too Many Requests: retry after {retry_after}"
        return ApiError(429, description, retry_after=retry_after)
    description = fault.description or _FAULT_DESCRIPTIONS.get(status, f"Error {status}")
    return ApiError(status, description, retry_after=fault.retry_after)


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


def _as_dict(message: MessageLike) -> JSON:
    if hasattr(message, "model_dump"):
        return dict(message.model_dump(by_alias=True, exclude_none=True))
    return dict(message)


def _client_gone(http: web.Request) -> bool:
    transport = http.transport
    return transport is None or transport.is_closing()


def _json_response(status: int, body: JSON) -> web.Response:
    return web.json_response(body, status=status)


def _callback_data_of(message: JSON) -> list[str]:
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [
        button["callback_data"] for row in keyboard for button in row if "callback_data" in button
    ]


def _messages_in(requests: list[Request], methods: frozenset[str]) -> list[JSON]:
    messages: list[JSON] = []
    for request in requests:
        if request.method in methods:
            result = request.result
            messages.extend(m for m in (result if isinstance(result, list) else [result]) if m)
    return [m for m in messages if isinstance(m, dict) and "chat" in m]
