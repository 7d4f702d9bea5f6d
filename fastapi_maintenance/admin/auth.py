"""Who may call the admin API: the built-in named bearer tokens, and who the caller is (the actor).

A request without a valid token gets 401 with ``WWW-Authenticate: Bearer``, whatever went
wrong (no header, another scheme, an unknown name, a wrong secret), so a caller learns
nothing about which tokens exist. Failed attempts are logged with the client address
resolved through the trusted proxies, at most one line per interval: a flood of guesses
cannot flood the log, and the next line says how many attempts were not shown.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Awaitable, Callable, Optional

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..access.admin_tokens import AdminTokens, split_admin_token
from ..access.client_ip import ClientAddressResolver

__all__ = ["ACTOR_STATE_ATTRIBUTE", "BearerTokenAuth", "FailedAttemptLog", "app_actor"]

logger = logging.getLogger("fastapi_maintenance.admin")

#: Where an application's own auth dependency may put the caller's name (``request.state.<this>``).
ACTOR_STATE_ATTRIBUTE = "maintenance_actor"
_REALM = 'Bearer realm="fastapi-maintenance"'


class FailedAttemptLog:
    """Logs refused attempts at WARNING, at most once per ``interval`` seconds, counting the rest."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._next = float("-inf")
        self._suppressed = 0
        self._lock = threading.Lock()

    def refused(self, why: str, client: str, name: Optional[str]) -> None:
        with self._lock:
            now = self._clock()
            if now < self._next:
                self._suppressed += 1
                return
            suppressed, self._suppressed = self._suppressed, 0
            self._next = now + self.interval
        more = f" ({suppressed} more refused attempts not logged since the last line)" if suppressed else ""
        logger.warning(
            "admin API: refused a request from %s: %s%s",
            client,
            why,
            more,
            extra={"client": client, "token_name": name, "why": why, "suppressed": suppressed},
        )


class BearerTokenAuth:
    """Checks the bearer token of a request: the name of the configured token it carries, or a 401."""

    def __init__(
        self, tokens: AdminTokens, resolver: ClientAddressResolver, failures: FailedAttemptLog
    ) -> None:
        self.tokens = tokens
        self.resolver = resolver
        self.failures = failures
        self.scheme = HTTPBearer(
            auto_error=False,
            scheme_name="maintenanceAdminToken",
            description="A named admin token, created with 'fastapi-maintenance admin-token NAME'.",
        )

    def dependency(self) -> Callable[..., Awaitable[str]]:
        """The dependency function; it declares the bearer scheme, so the OpenAPI document shows it."""
        scheme = self.scheme

        async def admin_token(
            request: Request,
            credentials: Optional[HTTPAuthorizationCredentials] = Depends(scheme),  # noqa: B008 - FastAPI style
        ) -> str:
            return self.check(request, credentials)

        return admin_token

    def check(self, request: Request, credentials: Optional[HTTPAuthorizationCredentials]) -> str:
        """The token's name, or a 401 (and a logged, rate-limited failure line)."""
        if credentials is None:
            has_header = "authorization" in request.headers
            self._refuse(request, "not a Bearer token" if has_header else "no Authorization header", None)
        assert credentials is not None
        name = self.tokens.identify(credentials.credentials)
        if name is None:
            parts = split_admin_token(credentials.credentials)
            presented = parts[0] if parts is not None else None
            why = f"wrong token for the name {presented!r}" if presented else "not a well-formed admin token"
            self._refuse(request, why, presented, invalid=True)
        assert name is not None
        return name

    def _refuse(self, request: Request, why: str, name: Optional[str], *, invalid: bool = False) -> None:
        peer = request.client.host if request.client is not None else None
        address = self.resolver.resolve(peer, request.scope["headers"])
        self.failures.refused(why, str(address) if address is not None else "an unknown address", name)
        challenge = f'{_REALM}, error="invalid_token"' if invalid else _REALM
        raise HTTPException(
            status_code=401, detail="a valid admin token is required", headers={"WWW-Authenticate": challenge}
        )


def app_actor(request: Request) -> Optional[str]:
    """The caller's name as the application's own auth dependency left it, if it did."""
    actor = getattr(request.state, ACTOR_STATE_ATTRIBUTE, None)
    return actor if isinstance(actor, str) and actor else None
