"""Small, non-raising parsers and builders for raw HTTP bytes (query strings, cookies, headers).

Everything here takes attacker-controlled bytes, so nothing here raises on content.
"""

from __future__ import annotations

import re
from typing import Iterator, List, NamedTuple, Optional
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes

__all__ = [
    "HTTP_TOKEN_CHARACTER",
    "QueryParamMatch",
    "cookie_values_in",
    "find_query_param",
    "redirect_location",
    "set_cookie_header",
    "validate_token",
]

#: One character of an HTTP token (RFC 9110 ``tchar``), as a regular-expression character class.
HTTP_TOKEN_CHARACTER = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_TOKEN = re.compile(HTTP_TOKEN_CHARACTER + r"+\Z")
# Characters kept as they are in a path or query; everything else is percent-encoded, so a
# Location header can carry neither control characters nor a backslash.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def validate_token(kind: str, name: str) -> str:
    """Check an HTTP token (cookie or header name, parameter name) at start-up."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise ValueError(f"{kind} {name!r} must be a non-empty HTTP token (letters, digits, !#$%&'*+-.^_`|~)")
    return name


class QueryParamMatch(NamedTuple):
    values: List[bytes]  # every value the parameter had, percent-decoded
    remaining: bytes  # the raw query string without that parameter, other parts untouched and in order


def _decode_component(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))


def find_query_param(query_string: bytes, name: bytes) -> Optional[QueryParamMatch]:
    """Find the parameter ``name`` (matched after percent-decoding) in a raw ASGI query string;
    None when it is absent. Cheap when the query cannot contain it."""
    if not query_string or (
        name not in query_string and b"%" not in query_string and b"+" not in query_string
    ):
        return None
    values: List[bytes] = []
    kept: List[bytes] = []
    for part in query_string.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        if _decode_component(key) == name:
            values.append(_decode_component(value))
        else:
            kept.append(part)
    if not values:
        return None
    return QueryParamMatch(values, b"&".join(kept))


def redirect_location(path: str, raw_path: Optional[bytes], query: bytes) -> str:
    """A path-only relative URL for the same resource: never ``//host`` or ``\\host``, so the
    redirect cannot leave the site. ``raw_path`` (ASGI ``raw_path``) is preferred when given."""
    if isinstance(raw_path, bytes):
        location = quote_from_bytes(raw_path, safe=_PATH_SAFE)
    else:
        location = quote(path, safe=_PATH_SAFE, errors="replace")
    if not location.startswith("/"):
        location = "/"
    location = "/" + location.lstrip("/")
    if query:
        location += "?" + quote_from_bytes(query, safe=_QUERY_SAFE)
    return location


def set_cookie_header(name: str, value: str, *, max_age: int, secure: bool) -> str:
    """The Set-Cookie value for the bypass cookie: script-inaccessible, same-site, whole site."""
    header = f"{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax"
    return header + "; Secure" if secure else header


def cookie_values_in(cookie_header: bytes, name: bytes) -> Iterator[bytes]:
    """Every value of the cookie ``name`` in one ``cookie`` header value."""
    for pair in cookie_header.split(b";"):
        key, sep, value = pair.partition(b"=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[:1] == b'"' and value[-1:] == b'"':
                value = value[1:-1]
            yield value
