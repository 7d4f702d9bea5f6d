"""Validators for single setting values, shared by the models; each raises ValueError with a clear reason."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Union

from pydantic import SecretStr

from ..access import FORWARDED_HEADERS, HTTP_TOKEN_CHARACTER, MAX_SECRET_LENGTH

__all__ = [
    "FORWARDED_HEADERS",
    "MAX_BYPASS_MAX_AGE",
    "ENV_NAME_PATTERN",
    "MAX_SECRET_LENGTH",
    "MIN_SECRET_LENGTH",
    "RetryAfter",
    "format_retry_after",
    "parse_rfc3339",
    "validate_bypass_secret",
    "validate_env_var_name",
    "validate_forwarded_header",
    "validate_http_token",
    "validate_ip_network",
    "validate_path_text",
    "validate_retry_after",
    "validate_text",
]

RetryAfter = Union[int, datetime]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z"
)
_TOKEN = re.compile(HTTP_TOKEN_CHARACTER + r"+\Z")
#: An environment variable name the settings accept (anchored for JSON Schema as well).
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ENV_NAME = re.compile(ENV_NAME_PATTERN[1:-1] + r"\Z")
RFC3339_EXAMPLE = "2031-01-02T03:04:05Z or 2031-01-02T05:04:05+02:00"
#: Longest bypass cookie lifetime: 366 days (a longer one is a permanent key, and overflows date arithmetic).
MAX_BYPASS_MAX_AGE = 366 * 24 * 3600
MIN_SECRET_LENGTH = 16
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _in_utc(value: datetime) -> datetime:
    """The date-time must stay a date-time in UTC (years 1 to 9999) and as a unix timestamp."""
    try:
        value.astimezone(timezone.utc)
        value.timestamp()
    except (OverflowError, ValueError, OSError):
        raise ValueError(
            f"{value.isoformat()} is out of range once converted to UTC (years 1 to 9999)"
        ) from None
    return value


def parse_rfc3339(value: Any) -> datetime:
    """A time-zone-aware datetime from an RFC 3339 string or an aware datetime (TOML/YAML give those)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no UTC offset; write it like {RFC3339_EXAMPLE}")
        return _in_utc(value)
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 date-time with a UTC offset such as {RFC3339_EXAMPLE}")
    match = _RFC3339.match(value.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time with a UTC offset; write it like {RFC3339_EXAMPLE}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu:
        tz = timezone.utc
    else:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if offset >= timedelta(hours=24):
            raise ValueError(f"UTC offset {sign}{off_h}:{off_m} is out of range")
        tz = timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        parsed = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
    except ValueError as exc:
        raise ValueError(f"not a valid date-time: {exc}") from None
    return _in_utc(parsed)


def validate_retry_after(value: Any) -> RetryAfter:
    """Whole seconds (>= 0) or an RFC 3339 date-time with an offset."""
    if isinstance(value, bool):
        raise ValueError("expected whole seconds (an integer >= 0) or an RFC 3339 date-time, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(
                f"seconds must be 0 or more (or give an RFC 3339 date-time such as {RFC3339_EXAMPLE})"
            )
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, datetime):
        return parse_rfc3339(value)
    if isinstance(value, str):
        try:
            return parse_rfc3339(value)
        except ValueError as exc:
            raise ValueError(f"neither whole seconds (an integer >= 0) nor a date-time: {exc}") from None
    raise ValueError(
        f"expected whole seconds (an integer >= 0) or an RFC 3339 date-time such as {RFC3339_EXAMPLE}"
    )


def format_retry_after(value: RetryAfter) -> str:
    """The ``Retry-After`` header value: seconds as digits, a date-time as an HTTP-date in GMT."""
    if isinstance(value, datetime):
        return format_datetime(value.astimezone(timezone.utc), usegmt=True)
    return str(int(value))


def validate_ip_network(value: Any) -> str:
    """An IPv4/IPv6 address or CIDR range; a range with host bits set is an error (it is ambiguous)."""
    if not isinstance(value, str):
        raise ValueError("expected an IP address or CIDR range as a string, such as '10.0.0.0/8'")
    text = value.strip()
    if "%" in text:
        raise ValueError(
            f"{text!r} has an IPv6 zone id (%...); client addresses are matched without one, remove it"
        )
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            network = ipaddress.ip_network(text, strict=False)
            raise ValueError(
                f"{text!r} has host bits set after the prefix; write the network address {str(network)!r}"
            ) from None
        raise ValueError(
            f"{text!r} is not an IPv4 or IPv6 address or CIDR range (examples: '192.168.1.7', "
            "'10.0.0.0/8', '2001:db8::/32'; no brackets, ports or zone ids)"
        ) from None
    return text


def validate_http_token(value: str) -> str:
    """A header, cookie or query parameter name: a non-empty HTTP token."""
    if not _TOKEN.match(value):
        raise ValueError("must be a non-empty HTTP token: letters, digits and !#$%&'*+-.^_`|~ (no spaces)")
    return value


def validate_env_var_name(value: str) -> str:
    """An environment variable name: letters, digits and underscores, not starting with a digit."""
    if not _ENV_NAME.match(value):
        raise ValueError(
            "must be an environment variable name: letters, digits and '_', not starting with a digit"
        )
    return value


def validate_text(value: str) -> str:
    """Text sent to clients must be encodable as UTF-8 (a lone surrogate is not)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"contains {value[exc.start : exc.end]!r} at position {exc.start}, a lone surrogate that "
            "cannot be sent as UTF-8"
        ) from None
    return value


def validate_path_text(value: str) -> str:
    """A file path the operating system can take: no NUL character."""
    if "\x00" in value:
        raise ValueError(f"contains a NUL character at position {value.index(chr(0))}; not a usable path")
    return value


def validate_bypass_secret(value: SecretStr) -> SecretStr:
    """The secret is compared with what clients send in a URL or header, so it must survive both as is.

    Never echoes the secret itself.
    """
    text = value.get_secret_value()
    if text.endswith("\n") and text.rstrip("\r\n") == text.rstrip("\r\n").strip():
        raise ValueError(
            "ends with a newline (as secret files written by Kubernetes, Docker or echo usually do); "
            "strip it, for example FASTAPI_MAINTENANCE_BYPASS__SECRET=\"$(tr -d '\\n' < secret-file)\""
        )
    if text != text.strip():
        raise ValueError("starts or ends with whitespace; a client could not send it unchanged, remove it")
    control = _CONTROL.search(text)
    if control is not None:
        raise ValueError(
            f"contains a control character at position {control.start()}; use printable characters"
        )
    if len(text) > MAX_SECRET_LENGTH:
        raise ValueError(f"is {len(text)} characters long; at most {MAX_SECRET_LENGTH} are allowed")
    validate_text(text)
    return value


def validate_forwarded_header(value: Any) -> Any:
    """Header names are case-insensitive: any spelling of a supported one is accepted."""
    if isinstance(value, str):
        for name in FORWARDED_HEADERS:
            if value.strip().lower() == name.lower():
                return name
    return value
