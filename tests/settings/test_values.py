"""Single-value helpers: Retry-After formatting, RFC 3339 parsing, IP entries, HTTP tokens."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fastapi_maintenance.settings import format_retry_after, load_settings
from fastapi_maintenance.settings.values import (
    parse_rfc3339,
    validate_env_var_name,
    validate_http_token,
    validate_ip_network,
    validate_retry_after,
)


def test_format_retry_after_seconds() -> None:
    assert format_retry_after(0) == "0"
    assert format_retry_after(3600) == "3600"


def test_format_retry_after_http_date() -> None:
    assert (
        format_retry_after(datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
        == "Thu, 02 Jan 2031 03:04:05 GMT"
    )
    plus_two = timezone(timedelta(hours=2))
    assert (
        format_retry_after(datetime(2031, 1, 2, 5, 4, 5, 999999, tzinfo=plus_two))
        == "Thu, 02 Jan 2031 03:04:05 GMT"
    )


def test_default_retry_after_header() -> None:
    assert format_retry_after(load_settings().retry_after) == "3600"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2031-01-02T03:04:05Z", datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2031-01-02t03:04:05z", datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2031-01-02 03:04:05+00:00", datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2031-01-02T03:04:05.5Z", datetime(2031, 1, 2, 3, 4, 5, 500000, tzinfo=timezone.utc)),
        ("2031-01-02T03:04:05.123456789Z", datetime(2031, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)),
        ("2031-01-02T03:04:05-05:30", datetime(2031, 1, 2, 8, 34, 5, tzinfo=timezone.utc)),
    ],
)
def test_parse_rfc3339(text: str, expected: datetime) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("2031-01-02T03:04:05", "with a UTC offset"),
        ("2031-01-02", "with a UTC offset"),
        ("2031-02-30T00:00:00Z", "not a valid date-time"),
        ("2031-01-02T03:04:05+24:00", "out of range"),
        (datetime(2031, 1, 2), "has no UTC offset"),
        (1924000000, "RFC 3339"),
    ],
)
def test_parse_rfc3339_rejects(value: object, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        parse_rfc3339(value)


def test_retry_after_accepts_digit_strings_and_rejects_the_rest() -> None:
    assert validate_retry_after(" 120 ") == 120
    assert validate_retry_after(0) == 0
    for bad in (-1, True, 1.0, None, [1]):
        with pytest.raises(ValueError, match="seconds"):
            validate_retry_after(bad)


def test_ip_entries() -> None:
    for good in ("10.0.0.0/8", "10.1.2.3", "::1", "2001:db8::/32", "0.0.0.0/0", "::/0", " 192.168.0.0/16 "):
        assert validate_ip_network(good) == good.strip()
    for bad in ("10.0.0.1/8", "2001:db8::1/32", "[::1]", "1.2.3.4:80", "fe80::1%eth0", "", 5):
        with pytest.raises(ValueError, match=r"host bits|not an IPv4|zone id|as a string"):
            validate_ip_network(bad)


def test_tokens_and_variable_names() -> None:
    assert validate_http_token("X-Maintenance-Bypass") == "X-Maintenance-Bypass"
    for bad in ("", "a b", "a;b", "é"):
        with pytest.raises(ValueError, match="HTTP token"):
            validate_http_token(bad)
    assert validate_env_var_name("_A1") == "_A1"
    for bad in ("", "1A", "A-B", "A=B"):
        with pytest.raises(ValueError, match="environment variable name"):
            validate_env_var_name(bad)
