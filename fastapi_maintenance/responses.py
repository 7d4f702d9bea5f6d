"""The maintenance response: built once where it can be, sent as a Starlette Response called as an ASGI app.

Every built response is negotiated on the Accept header (hence ``Vary: Accept``):
clients whose most preferred media type is text/html get a page (the configured
template, else the built-in page, with a ``Refresh`` header), everyone else the
JSON ``{"detail": message}``. Both carry ``Retry-After`` and
``Cache-Control: no-store`` (no proxy or browser may cache a 503).

What the response says comes from whatever put the request into maintenance: a
scheduled window (its message, start and end), else the stored state when it is
in effect (its message, ``until`` and ``since``), else the settings alone. With
nothing but the settings, the JSON body is the one 0.0.5 sent, byte for byte.
"""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .access import WindowSchedule
from .builtin_page import CONTENT_SECURITY_POLICY, render_page
from .notice import Notice, seconds_until
from .record import MaintenanceState
from .rules import Reason
from .settings import RetryAfter, format_retry_after
from .settings.model import DEFAULT_MESSAGE, DEFAULT_RETRY_AFTER, DEFAULT_STATUS_CODE
from .template import ResponseTemplate

logger = logging.getLogger("fastapi_maintenance")

Clock = Callable[[], float]


def json_body(document: Dict[str, str]) -> bytes:
    """The JSON body FastAPI itself would render for ``document`` (compact, UTF-8)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def maintenance_headers(retry_after: str) -> Dict[str, str]:
    return {"Retry-After": retry_after, "Cache-Control": "no-store", "Vary": "Accept"}


def prefers_html(accept: str) -> bool:
    """Whether the client's most preferred media type is text/html (ties go to the earlier entry)."""
    best_type, best_q = "", -1.0
    for item in accept.split(","):
        parts = item.split(";")
        media = parts[0].strip().lower()
        if not media:
            continue
        q = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if q > best_q:
            best_type, best_q = media, q
    return best_q > 0 and best_type in ("text/html", "application/xhtml+xml")


def _wants_html(headers: List[Tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"accept":
            # Most API clients never mention HTML: skip parsing their header.
            return b"html" in value.lower() and prefers_html(value.decode("latin-1"))
    return False


class MaintenanceResponses:
    """Builds the maintenance responses; those that depend on nothing but the settings are prebuilt."""

    def __init__(
        self,
        *,
        status_code: int = DEFAULT_STATUS_CODE,
        message: str = DEFAULT_MESSAGE,
        retry_after: RetryAfter = DEFAULT_RETRY_AFTER,
        template: Optional[Path] = None,
        clock: Clock = time.time,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.retry_after = format_retry_after(retry_after)
        self._retry_at = retry_after if isinstance(retry_after, datetime) else None
        self._retry_seconds = 0 if isinstance(retry_after, datetime) else int(retry_after)
        configured = self.notice(clock())
        self._template = ResponseTemplate(template, configured) if template is not None else None
        self.default = self.json(configured)
        # A Retry-After date makes the page's Refresh change with time; seconds do not.
        self._default_page = self.builtin_page(configured) if self._retry_at is None else None

    def notice(
        self,
        now: float,
        message: Optional[str] = None,
        until: Optional[datetime] = None,
        since: Optional[datetime] = None,
    ) -> Notice:
        """What to tell the client at ``now`` (unix time); ``Retry-After`` counts down to ``until`` if given."""
        if until is not None:
            seconds = seconds_until(until, now)
            retry_after = str(seconds)
        else:
            retry_after = self.retry_after
            if self._retry_at is not None:
                seconds = max(0, math.ceil(self._retry_at.timestamp() - now))
            else:
                seconds = self._retry_seconds
        return Notice(
            message=message if message is not None else self.message,
            retry_after=retry_after,
            retry_after_seconds=seconds,
            until=until,
            since=since,
        )

    def json(self, notice: Notice) -> Response:
        return Response(
            json_body(notice.json_document()),
            status_code=self.status_code,
            headers=maintenance_headers(notice.retry_after),
            media_type="application/json",
        )

    def html(self, page: str, notice: Notice, extra_headers: Optional[Dict[str, str]] = None) -> Response:
        headers = maintenance_headers(notice.retry_after)
        headers["Refresh"] = str(notice.refresh)
        headers.update(extra_headers or {})
        return Response(page, status_code=self.status_code, headers=headers, media_type="text/html")

    def builtin_page(self, notice: Notice) -> Response:
        return self.html(render_page(notice), notice, {"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    def build(
        self,
        html: bool,
        path: str,
        now: float,
        message: Optional[str] = None,
        until: Optional[datetime] = None,
        since: Optional[datetime] = None,
    ) -> Response:
        """The response for one request (``html``: the client prefers a page); prebuilt unless something varies."""
        if not html:
            if message is None and until is None:
                return self.default
            return self.json(self.notice(now, message, until))
        if self._default_page is not None and self._template is None and message is None and until is None:
            return self._default_page
        notice = self.notice(now, message, until, since)
        if self._template is not None:
            page = self._template.try_render(notice, path)
            if page is not None:
                return self.html(page, notice)
        return self.builtin_page(notice)


class MaintenanceResponder:
    """Sends the maintenance answer: the ``response_callback``'s response, else the built one.

    A failing or misbehaving callback never turns into a 500: it is logged and
    the built response is sent. Inside a scheduled window the window's message
    and end are used; otherwise those of ``state`` (the stored record the
    request was decided on) while it is in effect. A websocket is refused
    before the app sees it: with an HTTP denial response where the server offers
    that extension, else accepted and closed at once with code 1013 (Try Again Later).
    """

    def __init__(
        self,
        responses: MaintenanceResponses,
        response_callback: Optional[Callable[[Request], Awaitable[Response]]],
        schedule: Optional[WindowSchedule],
        *,
        clock: Clock = time.time,
    ) -> None:
        self.responses = responses
        self.response_callback = response_callback
        self.schedule = schedule
        self.clock = clock
        self._build_failure_logged = False

    async def __call__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        reason: Optional[Reason],
        state: Optional[MaintenanceState] = None,
    ) -> None:
        response = await self._from_callback(scope, receive)
        if response is None:
            response = self._built(scope, reason, state)
        if scope["type"] == "websocket":
            await _refuse_websocket(scope, receive, send, response)
        else:
            await response(scope, receive, send)

    async def _from_callback(self, scope: Scope, receive: Receive) -> Optional[Response]:
        if self.response_callback is None:
            return None
        try:
            response = await self.response_callback(Request(scope, receive))
        except Exception:
            logger.exception("response_callback raised; sending the default maintenance response")
            return None
        if not isinstance(response, Response):
            logger.error(
                "response_callback returned %r, not a Response; sending the default maintenance response",
                type(response).__name__,
            )
            return None
        return response

    def _built(self, scope: Scope, reason: Optional[Reason], state: Optional[MaintenanceState]) -> Response:
        """The built response; the prebuilt default if building fails (a bad stored message, say)."""
        try:
            html = _wants_html(scope["headers"])
            if not html and reason is not Reason.WINDOW and (state is None or _says_nothing(state)):
                return self.responses.default  # the common answer, without looking at the clock
            return self._negotiated(scope, html, reason, state)
        except Exception:
            if not self._build_failure_logged:
                self._build_failure_logged = True
                logger.exception(
                    "building the maintenance response failed; sending the default one (logged once)"
                )
            return self.responses.default

    def _negotiated(
        self, scope: Scope, html: bool, reason: Optional[Reason], state: Optional[MaintenanceState]
    ) -> Response:
        now = self.clock()
        message: Optional[str] = None
        until: Optional[datetime] = None
        since: Optional[datetime] = None
        schedule = self.schedule
        if reason is Reason.WINDOW and schedule is not None:
            window = schedule.active()
            if window is not None:
                message, until, since = window.message, window.end, window.start
        elif state is not None and state.in_effect(datetime.fromtimestamp(now, timezone.utc)):
            message, until, since = state.message, state.until, state.since
        return self.responses.build(html, scope.get("path", ""), now, message, until, since)


def _says_nothing(state: MaintenanceState) -> bool:
    """A record whose JSON answer is the settings' own: no message and no end."""
    return state.message is None and state.until is None


async def _refuse_websocket(scope: Scope, receive: Receive, send: Send, response: Response) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        await response(scope, receive, send)
        return
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1013, "reason": "Try Again Later"})
