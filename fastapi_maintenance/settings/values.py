"""Validators for single setting values, shared by the models; each raises ValueError with a clear reason."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Union

__all__ = [
    "RetryAfter",
    "format_retry_after",
    "parse_rfc3339",
    "validate_env_var_name",
    "validate_http_token",
    "validate_ip_network",
    "validate_retry_after",
]

RetryAfter = Union[int, datetime]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z"
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
RFC3339_EXAMPLE = "2031-01-02T03:04:05Z or 2031-01-02T05:04:05+02:00"


def parse_rfc3339(value: Any) -> datetime:
    """A time-zone-aware datetime from an RFC 3339 string or an aware datetime (TOML/YAML give those)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no UTC offset; write it like {RFC3339_EXAMPLE}")
        return value
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
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
    except ValueError as exc:
        raise ValueError(f"not a valid date-time: {exc}") from None


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
