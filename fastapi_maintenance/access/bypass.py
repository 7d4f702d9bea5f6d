"""The operators' way in: a bypass secret, exchanged once for a signed, expiring cookie.

The cookie holds only an expiry and an HMAC-SHA256 over it, keyed by a key derived from the
secret: it never reveals the secret, and changing the secret invalidates every cookie.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import time
from typing import Callable, Iterable, NamedTuple, Optional, Tuple, Union

from ._http import cookie_values_in, find_query_param, redirect_location, set_cookie_header, validate_token

__all__ = [
    "DEFAULT_BYPASS_NAME",
    "DEFAULT_BYPASS_HEADER",
    "DEFAULT_MAX_AGE",
    "MAX_SECRET_LENGTH",
    "BypassGate",
    "BypassRedirect",
    "BypassSigner",
]

DEFAULT_MAX_AGE = 12 * 60 * 60
DEFAULT_BYPASS_NAME = "maintenance_bypass"  # query parameter and cookie
DEFAULT_BYPASS_HEADER = "x-maintenance-bypass"

_VERSION = 1
_PAYLOAD = struct.Struct(">BQ")  # version, expiry (unix seconds)
_RAW_LENGTH = _PAYLOAD.size + hashlib.sha256().digest_size
_COOKIE_LENGTH = len(base64.urlsafe_b64encode(bytes(_RAW_LENGTH)).rstrip(b"="))
_CLOCK_SKEW = 300  # seconds an expiry may lie beyond max_age (servers' clocks differ a little)
#: Longest bypass secret (a longer one is no stronger, and must still fit a request header).
MAX_SECRET_LENGTH = 1024


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, b"fastapi-maintenance " + purpose, hashlib.sha256).digest()


def _as_bytes(value: Union[str, bytes, None]) -> Optional[bytes]:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates
            return None
    return None


class BypassSigner:
    """Makes and checks bypass cookies; compares candidate secrets in constant time.

    ``clock`` returns unix seconds (inject a fake one in tests). A cookie is valid while
    ``now < expiry <= now + max_age (+ a little skew)``: lowering ``max_age`` shortens
    cookies already handed out.
    """

    __slots__ = ("_check_key", "_clock", "_cookie_key", "_max_age", "_secret_tag")

    def __init__(
        self, secret: str, max_age: int = DEFAULT_MAX_AGE, clock: Callable[[], float] = time.time
    ) -> None:
        if not isinstance(secret, str) or not secret:
            raise ValueError("bypass secret must be a non-empty string")
        if len(secret) > MAX_SECRET_LENGTH:
            raise ValueError(f"bypass secret is longer than {MAX_SECRET_LENGTH} characters")
        if secret != secret.strip() or any(ord(c) < 32 or ord(c) == 127 for c in secret):
            raise ValueError(
                "bypass secret must not contain control characters or leading/trailing whitespace "
                "(it has to survive an HTTP header)"
            )
        if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 1:
            raise ValueError(f"bypass max_age must be a positive number of seconds, got {max_age!r}")
        try:
            raw = secret.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("bypass secret is not valid Unicode text (lone surrogate)") from None
        self._cookie_key = _derive(raw, b"bypass cookie v1")
        self._check_key = _derive(raw, b"bypass secret check v1")
        self._secret_tag = hmac.new(self._check_key, raw, hashlib.sha256).digest()
        self._max_age = max_age
        self._clock = clock

    @property
    def max_age(self) -> int:
        return self._max_age

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._cookie_key, payload, hashlib.sha256).digest()

    def make_cookie_value(self) -> str:
        """A fresh cookie value expiring ``max_age`` seconds from now (URL-safe base64, no padding)."""
        payload = _PAYLOAD.pack(_VERSION, int(self._clock()) + self._max_age)
        return base64.urlsafe_b64encode(payload + self._mac(payload)).rstrip(b"=").decode("ascii")

    def verify_cookie(self, value: Union[str, bytes, None]) -> bool:
        """True only for an unexpired cookie made by a signer with the same secret. Never raises."""
        data = value.encode("ascii", "replace") if isinstance(value, str) else value
        if not isinstance(data, bytes) or len(data) != _COOKIE_LENGTH:
            return False
        try:
            raw = base64.urlsafe_b64decode(data + b"=")
        except (binascii.Error, ValueError):
            return False
        # Only the canonical encoding is accepted: no stray characters, no alternative last digit.
        if len(raw) != _RAW_LENGTH or base64.urlsafe_b64encode(raw).rstrip(b"=") != data:
            return False
        payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return False
        version, expiry = _PAYLOAD.unpack(payload)
        now: float = self._clock()
        return bool(version == _VERSION and now < expiry <= now + self._max_age + _CLOCK_SKEW)

    def matches_secret(self, candidate: Union[str, bytes, None]) -> bool:
        """Constant-time check of a candidate secret (query parameter or header value)."""
        data = _as_bytes(candidate)
        if data is None or len(data) > 4 * MAX_SECRET_LENGTH:
            return False
        tag = hmac.new(self._check_key, data, hashlib.sha256).digest()
        return hmac.compare_digest(tag, self._secret_tag)


class BypassRedirect(NamedTuple):
    location: str  # path-only relative URL: same path, query without the bypass parameter
    set_cookie: str  # full Set-Cookie header value


class BypassGate:
    """Everything the middleware needs per request, with names compiled once.

    ``is_exempt`` checks the header and the cookie; ``redirect_for`` answers the
    ``?<param_name>=<secret>`` link. A wrong secret gets no special answer at all.
    """

    __slots__ = ("_cookie_name", "_cookie_text", "_header_name", "_param_name", "signer")

    def __init__(
        self,
        signer: BypassSigner,
        *,
        param_name: str = DEFAULT_BYPASS_NAME,
        cookie_name: str = DEFAULT_BYPASS_NAME,
        header_name: str = DEFAULT_BYPASS_HEADER,
    ) -> None:
        self.signer = signer
        self._param_name = validate_token("bypass query parameter", param_name).encode("ascii")
        self._cookie_text = validate_token("bypass cookie name", cookie_name)
        self._cookie_name = self._cookie_text.encode("ascii")
        self._header_name = validate_token("bypass header name", header_name).lower().encode("ascii")

    def is_exempt(self, headers: Iterable[Tuple[bytes, bytes]]) -> bool:
        """True when the request carries the secret in the bypass header or a valid bypass cookie."""
        signer, cookie_name = self.signer, self._cookie_name
        for name, value in headers:
            if name == self._header_name:
                if signer.matches_secret(value.strip()):
                    return True
            elif (
                name == b"cookie"
                and cookie_name in value
                and any(signer.verify_cookie(v) for v in cookie_values_in(value, cookie_name))
            ):
                return True
        return False

    def redirect_for(
        self, scheme: str, path: str, query_string: bytes, raw_path: Optional[bytes] = None
    ) -> Optional[BypassRedirect]:
        """For a request carrying the right secret in the query parameter: where to redirect and
        the cookie to set. None otherwise (absent, wrong secret, or under another name)."""
        found = find_query_param(query_string, self._param_name)
        if found is None or not any(self.signer.matches_secret(v) for v in found.values):
            return None
        cookie = set_cookie_header(
            self._cookie_text,
            self.signer.make_cookie_value(),
            max_age=self.signer.max_age,
            secure=scheme in ("https", "wss"),
        )
        return BypassRedirect(redirect_location(path, raw_path, found.remaining), cookie)
