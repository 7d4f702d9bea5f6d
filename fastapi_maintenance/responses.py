"""The maintenance response: built once, sent as a Starlette Response called as an ASGI app.

The default is JSON ``{"detail": message}`` with ``Retry-After`` and
``Cache-Control: no-store`` (no proxy or browser may cache a 503). With a
template configured, clients whose most preferred Accept type is text/html get
the rendered HTML page instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from starlette.responses import HTMLResponse, Response

from .errors import MaintenanceConfigError, require_extra

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

    @property
    def negotiates(self) -> bool:
        """True when the response depends on the request's Accept header."""
        return self._template is not None

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
