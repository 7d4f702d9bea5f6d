"""Pure helpers for operator access during maintenance: client IP allow-lists behind proxies,
the bypass secret and its signed cookie, and scheduled maintenance windows.

No ASGI framework imports, no I/O, no global state: the middleware compiles these once at
start-up and calls their cheap per-request methods.
"""

from __future__ import annotations

from ._http import HTTP_TOKEN_CHARACTER
from .bypass import (
    DEFAULT_BYPASS_HEADER,
    DEFAULT_BYPASS_NAME,
    DEFAULT_MAX_AGE,
    MAX_SECRET_LENGTH,
    BypassGate,
    BypassRedirect,
    BypassSigner,
)
from .client_ip import (
    DEFAULT_MAX_HOPS,
    FORWARDED_HEADERS,
    ClientAddressResolver,
    ForwardedHeaderName,
    IPAddress,
    IPRanges,
)
from .windows import Window, WindowSchedule

__all__ = [
    "DEFAULT_BYPASS_HEADER",
    "DEFAULT_BYPASS_NAME",
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_HOPS",
    "FORWARDED_HEADERS",
    "HTTP_TOKEN_CHARACTER",
    "MAX_SECRET_LENGTH",
    "BypassGate",
    "BypassRedirect",
    "BypassSigner",
    "ClientAddressResolver",
    "ForwardedHeaderName",
    "IPAddress",
    "IPRanges",
    "Window",
    "WindowSchedule",
]
