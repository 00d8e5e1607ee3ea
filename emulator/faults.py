"""Telegram failing on purpose: injected faults (an error, a delay, an nginx page, a proxy's
page that is not UTF-8, bytes that are not HTTP) and flood control (429 beyond
`message_rate_limit` messages a second)."""

from __future__ import annotations

import time
from collections import deque

from aiohttp import web

from emulator.core import EmulatorCore
from emulator.models import NO_HTTP_ANSWER, ApiError, Fault, Request

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


class FaultAnswer(Exception):
    """Raised while performing a request whose injected fault replaces the answer."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.status)
        self.fault = fault


class FaultInjection(EmulatorCore):
    """The faults the test injects, per method, and Telegram's flood control."""

    def inject(self, method: str, fault: Fault, times: int = 1) -> None:
        """The next `times` calls of `method` get `fault` instead of the normal answer."""
        queue = self._faults.setdefault(self._canonical(method), deque())
        queue.extend([fault] * times)

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

    def _finish_fault(self, request: Request, fault: Fault, http: web.Request) -> web.Response:
        """Answer as the fault says: raw bytes, a page, or Telegram's JSON error."""
        if fault.raw is not None and http.transport is not None:
            http.transport.write(fault.raw)
            http.transport.close()  # what aiohttp then writes goes nowhere
            self._answered(request, NO_HTTP_ANSWER, fault.raw.decode(errors="replace"))
            return web.Response()
        status = fault.status or 500
        if fault.page is not None:
            page = fault.page.replace(b"{path}", http.path.encode())
            self._answered(request, status, page.decode(errors="replace"))
            return web.Response(
                status=status, body=page, content_type="text/html", charset="utf-8"
            )
        if fault.body is not None or (status == 502 and fault.description is None):
            text = fault.body if fault.body is not None else _NGINX_502
            self._answered(request, status, text)
            return web.Response(status=status, text=text, content_type="text/html")
        return self._finish(request, _fault_error(fault))


def _fault_error(fault: Fault) -> ApiError:
    status = fault.status or 500
    if status == 429:
        retry_after = fault.retry_after if fault.retry_after is not None else 1
        description = fault.description or f"Too Many Requests: retry after {retry_after}"
        return ApiError(429, description, retry_after=retry_after)
    description = fault.description or _FAULT_DESCRIPTIONS.get(status, f"Error {status}")
    return ApiError(status, description, retry_after=fault.retry_after)
