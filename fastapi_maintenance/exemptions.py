"""Level 3 of the precedence table: request exemptions, checked in order, the first that applies wins.

Order: FastAPI's docs URLs, CORS preflights, allowed client IPs (behind trusted
proxies), the bypass secret (header or signed cookie; the ``?<param>=<secret>``
link answers with a redirect that sets the cookie), then ``exempt_callback``.
Only consulted when maintenance would otherwise apply to the request.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable, FrozenSet, Optional, Tuple

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from .access import BypassGate, ClientAddressResolver, IPRanges
from .rules import Reason

logger = logging.getLogger("fastapi_maintenance")

Exemption = Tuple[Optional[Reason], Optional[Response]]
_NONE: Exemption = (None, None)


class RequestExemptions:
    """The compiled exemption checks of one middleware."""

    def __init__(
        self,
        *,
        allowed_ips: Optional[IPRanges],
        client_resolver: ClientAddressResolver,
        bypass: Optional[BypassGate],
        exempt_callback: Optional[Callable[[Request], Awaitable[bool]]],
    ) -> None:
        self.allowed_ips = allowed_ips
        self.client_resolver = client_resolver
        self.bypass = bypass
        self.exempt_callback = exempt_callback

    async def check(
        self, scope: Scope, route_path: str, docs_paths: FrozenSet[str] = frozenset()
    ) -> Exemption:
        """The first exemption that applies, and for the bypass link the redirect to send.

        ``docs_paths`` are the app's own docs URLs: they belong to the app, not to the compiled settings,
        which one ``from_config`` factory may share between apps.
        """
        is_http = scope["type"] == "http"
        if route_path in docs_paths:
            return Reason.EXEMPT_DOCS, None
        if is_http and scope.get("method") == "OPTIONS" and _is_preflight(scope):
            return Reason.CORS_PREFLIGHT, None
        if self.allowed_ips is not None:
            client = scope.get("client")
            address = self.client_resolver.resolve(client[0] if client else None, scope["headers"])
            if address in self.allowed_ips:
                return Reason.EXEMPT_IP, None
        if self.bypass is not None:
            found = self._bypass(scope, is_http)
            if found[0] is not None:
                return found
        if self.exempt_callback is not None:
            try:
                if await self.exempt_callback(Request(scope)):
                    return Reason.EXEMPT_CALLBACK, None
            except Exception:
                logger.exception("exempt_callback raised; the request is treated as not exempt")
        return _NONE

    def _bypass(self, scope: Scope, is_http: bool) -> Exemption:
        gate = self.bypass
        assert gate is not None
        if gate.is_exempt(scope["headers"]):
            return Reason.EXEMPT_BYPASS, None
        if not is_http:
            return _NONE
        link = gate.redirect_for(
            scope.get("scheme", "http"), scope["path"], scope.get("query_string", b""), scope.get("raw_path")
        )
        if link is None:
            return _NONE
        headers = {"Location": link.location, "Set-Cookie": link.set_cookie, "Cache-Control": "no-store"}
        return Reason.EXEMPT_BYPASS, Response(status_code=307, headers=headers)


def _is_preflight(scope: Scope) -> bool:
    """A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method."""
    names = {name for name, _ in scope["headers"]}
    return b"access-control-request-method" in names and b"origin" in names
