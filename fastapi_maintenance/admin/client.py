"""A backend that is an app's admin API: read and switch a remote app over HTTPS with a named token.

The CLI's ``--url`` mode uses it, so remote and local switches share one code path,
one output and one set of exit codes. Deploy scripts can use it from Python too.
The token is sent only over HTTPS (plain HTTP only to a loopback address, and then never
through a proxy named by ``HTTP_PROXY``/``ALL_PROXY``), and TLS certificates are verified
(``SSL_CERT_FILE`` names another CA bundle, as httpx documents).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from ..access.admin_tokens import TOKEN_ENV_VAR, check_admin_token
from ..backends.base import BackendUnavailable, BaseStateBackend
from ..errors import require_extra
from ..record import MaintenanceState, decode_record, plain
from .models import WindowOut

__all__ = ["AdminApiBackend", "AdminApiRefused", "AdminApiRejected", "TOKEN_ENV_VAR"]

_LOOPBACK_NAMES = ("localhost",)


class AdminApiRefused(BackendUnavailable):
    """The admin API refused the token (401/403): the state was neither read nor changed."""


class AdminApiRejected(ValueError):
    """The admin API rejected the request itself (read-only backend, invalid fields)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(
            f"admin API URL {url!r} must be an http(s) URL such as https://app.example/_maintenance"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError("admin API URL must not carry credentials; the token comes from the environment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"admin API URL {url!r} is plain http to a host other than this machine: the token would "
            "travel unencrypted; use https://"
        )
    return url.rstrip("/") + "/"


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AdminApiBackend(BaseStateBackend):
    """The state of the app behind ``url`` (where ``admin_router`` is included), switched with ``token``."""

    logs_outages = True  # every failure becomes an exception for the caller; nothing to log here

    def __init__(self, url: str, token: str, *, timeout: float = 10.0, transport: Any = None) -> None:
        check_admin_token(token)
        self.url = _check_url(url)
        # Plain http (loopback only) must not be relayed by an environment proxy: the proxy would read the
        # token. Over https a proxy only tunnels (CONNECT) and TLS still ends at the app, so it is honoured.
        self._trust_env = urlsplit(self.url).scheme == "https"
        self._token = token
        self._timeout = timeout
        self._transport = transport
        #: The app's own backend, as its admin API described it in the last answer.
        self.remote_backend: Optional[str] = None

    def describe(self) -> str:
        shown = self.url.rstrip("/")
        return f"{shown} ({self.remote_backend})" if self.remote_backend else shown

    async def get_state(self) -> MaintenanceState:
        return self._state(await self._call("GET", None), require_reachable=True)

    async def set_state(self, state: MaintenanceState) -> None:
        body: Dict[str, Any] = {"active": state.active}
        if state.active:
            body.update(message=state.message, until=state.until.isoformat() if state.until else None)
        body["reason"] = state.reason
        self._state(await self._call("PUT", body), require_reachable=False)

    async def app_view(self) -> Tuple[Optional[bool], List[WindowOut]]:
        """What else decides for the app besides the stored state: its hard switch and its windows."""
        data = await self._call("GET", None)
        self._state(data, require_reachable=False)
        hard_switch = data.get("hard_switch")
        try:
            windows = [WindowOut.model_validate(item) for item in data.get("windows") or []]
        except ValueError as exc:
            raise BackendUnavailable(f"the admin API answered with unreadable windows: {exc}") from None
        return (hard_switch if isinstance(hard_switch, bool) else None), windows

    async def get_value(self) -> bool:
        return (await self.get_state()).in_effect()

    async def set_value(self, value: bool) -> None:
        await self.set_state(plain(bool(value)))

    async def _call(self, method: str, body: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        httpx = require_extra("httpx", extra="cli", purpose="the admin API client (--url)")
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout,
                verify=True,
                transport=self._transport,
                follow_redirects=False,
                trust_env=self._trust_env,
            ) as client:
                response = await client.request(method, self.url, headers=headers, json=body)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ) from None
        status = response.status_code
        detail = _detail(response)
        if status in (401, 403):
            raise AdminApiRefused(f"the admin API refused the token (HTTP {status}: {detail})")
        if status in (409, 422):
            raise AdminApiRejected(f"the admin API rejected the request (HTTP {status}: {detail})", status)
        if status != 200:
            raise BackendUnavailable(f"the admin API answered HTTP {status}: {detail}")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise BackendUnavailable("the admin API answered with something other than a JSON object")
        return data

    def _state(self, data: Dict[str, Any], *, require_reachable: bool) -> MaintenanceState:
        backend = data.get("backend")
        self.remote_backend = backend if isinstance(backend, str) else None
        if require_reachable and data.get("reachable") is not True:
            raise BackendUnavailable(f"the app cannot read its backend {self.remote_backend or ''}".rstrip())
        fields = {name: data.get(name) for name in ("active", "message", "until", "reason", "actor", "since")}
        try:
            return decode_record(json.dumps(fields))
        except ValueError as exc:
            raise BackendUnavailable(f"the admin API answered with an unreadable state: {exc}") from None


def _detail(response: Any) -> str:
    try:
        data = response.json()
    except ValueError:
        return str(response.reason_phrase or "no detail")
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, list):  # FastAPI's validation errors
        return "; ".join(
            str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail
        )
    return str(detail) if detail else str(response.reason_phrase or "no detail")
