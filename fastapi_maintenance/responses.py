"""The maintenance response: built once, sent as a Starlette Response called as an ASGI app.

The default is JSON ``{"detail": message}`` with ``Retry-After`` and
``Cache-Control: no-store`` (no proxy or browser may cache a 503). With a
template configured, clients whose most preferred Accept type is text/html get
the rendered HTML page instead.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from .access import WindowSchedule
from .errors import MaintenanceConfigError, require_extra
from .record import MaintenanceState
from .rules import Reason

logger = logging.getLogger("fastapi_maintenance")

DEFAULT_MESSAGE = "Service temporarily unavailable due to maintenance"
DEFAULT_STATUS = 503


def json_body(message: str) -> bytes:
    """The JSON body FastAPI itself would render for ``{"detail": message}``."""
    return json.dumps({"detail": message}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def maintenance_headers(retry_after: str) -> Dict[str, str]:
    return {"Retry-After": retry_after, "Cache-Control": "no-store"}


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


class _Template:
    """A Jinja2 page compiled once, autoescaped."""

    def __init__(self, path: Path) -> None:
        jinja2 = require_extra("jinja2", extra="templates", purpose=f"response.template ({path})")
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MaintenanceConfigError(f"response.template: cannot read {path}: {exc}") from exc
        environment = jinja2.Environment(autoescape=True)
        try:
            self._template = environment.from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise MaintenanceConfigError(
                f"response.template: {path}, line {exc.lineno}: {exc.message}"
            ) from exc

    def render(self, **context: Any) -> str:
        return str(self._template.render(**context))


class MaintenanceResponses:
    """Builds the maintenance responses; the common one is prebuilt and reused for every request."""

    def __init__(
        self,
        *,
        status_code: int = DEFAULT_STATUS,
        message: str = DEFAULT_MESSAGE,
        retry_after: str = "3600",
        template: Optional[Path] = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.retry_after = retry_after
        self._template = _Template(template) if template is not None else None
        self.default = self.json(message, retry_after)

    def json(self, message: str, retry_after: str) -> Response:
        return Response(
            json_body(message),
            status_code=self.status_code,
            headers=maintenance_headers(retry_after),
            media_type="application/json",
        )

    def build(
        self,
        headers: List[Tuple[bytes, bytes]],
        path: str,
        message: Optional[str],
        retry_after: Optional[str],
    ) -> Response:
        """The response for one request; the prebuilt default unless something varies."""
        if self._template is not None:
            accept = next((value for name, value in headers if name == b"accept"), b"")
            if prefers_html(accept.decode("latin-1")):
                text = message if message is not None else self.message
                after = retry_after if retry_after is not None else self.retry_after
                page = self._template.render(message=text, retry_after=after, path=path)
                return HTMLResponse(page, status_code=self.status_code, headers=maintenance_headers(after))
        if message is None and retry_after is None:
            return self.default
        return self.json(
            message if message is not None else self.message,
            retry_after if retry_after is not None else self.retry_after,
        )


class MaintenanceResponder:
    """Sends the maintenance answer: the ``response_callback``'s response, else the built one.

    A failing or misbehaving callback never turns into a 500: it is logged and
    the default response is sent. Inside a scheduled window the window's message
    and a Retry-After counting down to its end are used. A websocket is refused
    before the app sees it: with an HTTP denial response where the server offers
    that extension, else accepted and closed at once with code 1013 (Try Again Later).
    """

    def __init__(
        self,
        responses: MaintenanceResponses,
        response_callback: Optional[Callable[[Request], Awaitable[Response]]],
        schedule: Optional[WindowSchedule],
    ) -> None:
        self.responses = responses
        self.response_callback = response_callback
        self.schedule = schedule

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
            response = self._built(scope, reason)
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

    def _built(self, scope: Scope, reason: Optional[Reason]) -> Response:
        message: Optional[str] = None
        retry_after: Optional[str] = None
        schedule = self.schedule
        if reason is Reason.WINDOW and schedule is not None:
            window = schedule.active()
            seconds = schedule.retry_after_seconds()
            message = window.message if window is not None else None
            retry_after = str(seconds) if seconds is not None else None
        return self.responses.build(scope["headers"], scope.get("path", ""), message, retry_after)


async def _refuse_websocket(scope: Scope, receive: Receive, send: Send, response: Response) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        await response(scope, receive, send)
        return
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1013, "reason": "Try Again Later"})
