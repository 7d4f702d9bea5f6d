"""The bypass secret, its signed cookie, and the query-parameter / header flows."""

from __future__ import annotations

import base64
import struct
from typing import List, Optional, Tuple, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_maintenance.access._http import cookie_values_in, find_query_param, redirect_location
from fastapi_maintenance.access.bypass import (
    DEFAULT_MAX_AGE,
    BypassGate,
    BypassSigner,
)

SECRET = "correct-horse-battery-staple"
NOW = 1_900_000_000.0
Headers = List[Tuple[bytes, bytes]]


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_signer(
    secret: str = SECRET, max_age: int = 3600, now: float = NOW
) -> Tuple[BypassSigner, FakeClock]:
    clock = FakeClock(now)
    return BypassSigner(secret, max_age, clock=clock), clock


def decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- the cookie ----------------------------------------------------------------------------


def test_cookie_round_trip_and_shape() -> None:
    signer, _ = make_signer()
    value = signer.make_cookie_value()
    assert signer.verify_cookie(value)
    assert signer.verify_cookie(value.encode())
    assert SECRET not in value
    assert encode(SECRET.encode()) not in value
    assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    version, expiry = struct.unpack(">BQ", decode(value)[:9])
    assert (version, expiry) == (1, int(NOW) + 3600)
    assert DEFAULT_MAX_AGE == 12 * 3600


def test_cookie_expires_exactly_at_max_age() -> None:
    signer, clock = make_signer(max_age=100)
    value = signer.make_cookie_value()
    clock.now = NOW + 99
    assert signer.verify_cookie(value)
    clock.now = NOW + 100
    assert not signer.verify_cookie(value)
    clock.now = NOW + 10_000
    assert not signer.verify_cookie(value)


def test_wrong_mac_is_refused() -> None:
    signer, _ = make_signer()
    raw = bytearray(decode(signer.make_cookie_value()))
    for index in (9, 20, len(raw) - 1):
        tampered = bytearray(raw)
        tampered[index] ^= 0x01
        assert not signer.verify_cookie(encode(bytes(tampered)))


def test_tampered_expiry_is_refused() -> None:
    signer, clock = make_signer(max_age=100)
    raw = decode(signer.make_cookie_value())
    clock.now = NOW + 500  # the real cookie has expired; try to extend it
    forged = struct.pack(">BQ", 1, int(NOW) + 550) + raw[9:]
    assert not signer.verify_cookie(encode(forged))
    forged_version = struct.pack(">BQ", 2, int(NOW) + 100) + raw[9:]
    clock.now = NOW
    assert not signer.verify_cookie(encode(forged_version))


def test_cookie_made_under_an_old_secret_is_refused() -> None:
    old, _ = make_signer("old-secret-value")
    new, _ = make_signer("new-secret-value")
    assert not new.verify_cookie(old.make_cookie_value())
    assert new.verify_cookie(new.make_cookie_value())


def test_lowering_max_age_shortens_cookies_already_issued() -> None:
    long_lived, _ = make_signer(max_age=86_400)
    value = long_lived.make_cookie_value()
    short, _ = make_signer(max_age=3600)
    assert not short.verify_cookie(value)
    # a cookie from a server whose clock is a little ahead is still accepted
    behind, _ = make_signer(max_age=86_400, now=NOW - 120)
    assert behind.verify_cookie(value)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: v[:-1],  # truncated
        lambda v: v[:20],
        lambda v: v + "A",
        lambda v: v + "=",  # padding is not part of the format
        lambda v: "!" + v[1:],  # not base64
        lambda v: v[:10] + "+" + v[11:],  # standard alphabet, not URL-safe
        lambda v: v[:10] + "é" + v[11:],
        lambda v: v[:10] + " " + v[11:],
        lambda v: "",
        lambda v: v * 1000,
        lambda v: v[:-1] + chr(ord(v[-1]) + 1),  # another last digit (or a non-canonical one)
        lambda v: v.swapcase(),
    ],
)
def test_malformed_cookies_are_refused(mangle: object) -> None:
    signer, _ = make_signer()
    value = signer.make_cookie_value()
    bad = mangle(value)  # type: ignore[operator]
    assert bad != value
    assert not signer.verify_cookie(bad)
    assert not signer.verify_cookie(bad.encode("utf-8"))


def test_non_string_cookie_values_are_refused() -> None:
    signer, _ = make_signer()
    assert not signer.verify_cookie(None)
    assert not signer.verify_cookie(12345)  # type: ignore[arg-type]
    assert not signer.verify_cookie("\udcff" * 55)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=120), st.binary(max_size=120)))
def test_arbitrary_cookie_values_never_raise_and_never_verify(value: Union[str, bytes]) -> None:
    signer, _ = make_signer()
    assert signer.verify_cookie(value) is False


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=55, max_size=55
    )
)
def test_well_formed_but_unsigned_cookies_never_verify(value: str) -> None:
    signer, _ = make_signer()
    assert signer.verify_cookie(value) is False


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(0, 2**64 - 1))
def test_forged_payloads_with_any_expiry_never_verify(mac: bytes, expiry: int) -> None:
    signer, _ = make_signer()
    assert not signer.verify_cookie(encode(struct.pack(">BQ", 1, expiry) + mac))


# --- the secret ----------------------------------------------------------------------------


def test_matches_secret() -> None:
    signer, _ = make_signer()
    assert signer.matches_secret(SECRET)
    assert signer.matches_secret(SECRET.encode())
    for wrong in ["", SECRET[:-1], SECRET + "x", SECRET.upper(), " " + SECRET, None, "\udcff", b"\xff\xfe"]:
        assert not signer.matches_secret(wrong)
    assert not signer.matches_secret("x" * 100_000)


def test_non_ascii_secret_matches_its_utf8_bytes() -> None:
    signer, _ = make_signer("clé-secrète")
    assert signer.matches_secret("clé-secrète")
    assert signer.matches_secret("clé-secrète".encode())
    assert not signer.matches_secret("clé-secrète".encode("latin-1"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.binary(max_size=60)))
def test_arbitrary_candidates_match_only_the_secret(candidate: Union[str, bytes]) -> None:
    signer, _ = make_signer()
    expected = candidate in (SECRET, SECRET.encode())
    assert signer.matches_secret(candidate) is expected


@pytest.mark.parametrize(
    ("secret", "max_age", "fragment"),
    [
        ("", 60, "non-empty"),
        (None, 60, "non-empty"),
        (" padded", 60, "whitespace"),
        ("line\nbreak", 60, "control"),
        ("x" * 2000, 60, "longer than"),
        ("\udcffabc", 60, "surrogate"),
        ("good-secret", 0, "max_age"),
        ("good-secret", -5, "max_age"),
        ("good-secret", True, "max_age"),
        ("good-secret", 1.5, "max_age"),
    ],
)
def test_bad_configuration_is_refused(secret: object, max_age: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as caught:
        BypassSigner(secret, max_age)  # type: ignore[arg-type]
    assert "good-secret" not in str(caught.value)


def test_errors_never_echo_the_secret() -> None:
    with pytest.raises(ValueError, match="control characters") as caught:
        BypassSigner("hunter2\x00", 60)
    assert "hunter2" not in str(caught.value)


# --- the gate: query parameter, header, cookie ---------------------------------------------


def make_gate(**names: str) -> Tuple[BypassGate, FakeClock]:
    signer, clock = make_signer()
    return BypassGate(signer, **names), clock


def test_query_secret_redirects_without_the_parameter_and_sets_the_cookie() -> None:
    gate, _ = make_gate()
    query = f"a=1&maintenance_bypass={SECRET}&b=%20x&c".encode()
    result = gate.redirect_for("http", "/orders/7", query)
    assert result is not None
    assert result.location == "/orders/7?a=1&b=%20x&c"
    name, _, rest = result.set_cookie.partition("=")
    value, *attributes = rest.split("; ")
    assert name == "maintenance_bypass"
    assert gate.signer.verify_cookie(value)
    assert attributes == ["Max-Age=3600", "Path=/", "HttpOnly", "SameSite=Lax"]
    assert SECRET not in result.set_cookie
    assert SECRET not in result.location


def test_cookie_is_secure_on_https_only() -> None:
    gate, _ = make_gate()
    query = f"maintenance_bypass={SECRET}".encode()
    secure = gate.redirect_for("https", "/", query)
    plain = gate.redirect_for("http", "/", query)
    assert secure is not None
    assert secure.set_cookie.endswith("; Secure")
    assert plain is not None
    assert "Secure" not in plain.set_cookie
    assert secure.location == "/"


@pytest.mark.parametrize(
    "query",
    [
        b"",
        b"maintenance_bypass=wrong",
        b"maintenance_bypass=",
        b"maintenance_bypass",
        f"other={SECRET}".encode(),
        f"maintenance_bypas={SECRET}".encode(),
        f"xmaintenance_bypass={SECRET}".encode(),
        f"maintenance_bypass_={SECRET}".encode(),
        f"Maintenance_Bypass={SECRET}".encode(),
        f"a={SECRET}&maintenance_bypass=nope".encode(),
        f"maintenance_bypass={SECRET}x".encode(),
    ],
)
def test_wrong_or_misplaced_secret_does_nothing(query: bytes) -> None:
    gate, _ = make_gate()
    assert gate.redirect_for("https", "/", query) is None


def test_parameter_name_and_value_are_percent_decoded() -> None:
    gate, _ = make_gate()
    query = b"maintenance%5Fbypass=correct%2Dhorse-battery+staple"
    assert gate.redirect_for("http", "/", query) is None  # '+' is a space, so this is wrong
    query = b"maintenance%5Fbypass=correct%2Dhorse-battery-staple&z=1"
    result = gate.redirect_for("http", "/x", query)
    assert result is not None
    assert result.location == "/x?z=1"


def test_configured_names_replace_the_defaults() -> None:
    gate, _ = make_gate(param_name="letmein", cookie_name="ops", header_name="X-Ops-Key")
    assert gate.redirect_for("http", "/", f"maintenance_bypass={SECRET}".encode()) is None
    result = gate.redirect_for("http", "/", f"letmein={SECRET}".encode())
    assert result is not None
    assert result.set_cookie.startswith("ops=")
    assert gate.is_exempt([(b"x-ops-key", SECRET.encode())])
    assert not gate.is_exempt([(b"x-maintenance-bypass", SECRET.encode())])


@pytest.mark.parametrize("name", ["", "has space", "semi;colon", "é", "a=b"])
def test_bad_names_are_refused(name: str) -> None:
    signer, _ = make_signer()
    with pytest.raises(ValueError, match="HTTP token"):
        BypassGate(signer, cookie_name=name)
    with pytest.raises(ValueError, match="HTTP token"):
        BypassGate(signer, param_name=name)


@pytest.mark.parametrize(
    ("path", "raw_path", "expected"),
    [
        ("/a/b", None, "/a/b"),
        ("/a b/é", None, "/a%20b/%C3%A9"),
        ("/a%2Fb", b"/a%2Fb", "/a%2Fb"),
        ("//evil.example", None, "/evil.example"),
        ("/", b"//evil.example/x", "/evil.example/x"),
        ("/", b"/\\evil.example", "/%5Cevil.example"),
        ("/", b"///evil.example", "/evil.example"),
        ("/", b"http://evil.example/", "/"),
        ("/", b"/x\r\nSet-Cookie: a=b", "/x%0D%0ASet-Cookie:%20a=b"),
        ("*", None, "/"),
    ],
)
def test_redirect_stays_on_site(path: str, raw_path: Optional[bytes], expected: str) -> None:
    assert redirect_location(path, raw_path, b"") == expected


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40), st.one_of(st.none(), st.binary(max_size=40)), st.binary(max_size=40))
def test_any_redirect_is_a_path_only_relative_url(path: str, raw_path: Optional[bytes], query: bytes) -> None:
    location = redirect_location(path, raw_path, query)
    assert location.startswith("/")
    assert not location.startswith("//")
    assert location.isascii()
    assert location.isprintable()
    assert not any(c in location for c in " \\\r\n\t")


def test_header_and_cookie_exempt_their_holder() -> None:
    gate, clock = make_gate()
    cookie = gate.signer.make_cookie_value()
    assert gate.is_exempt([(b"x-maintenance-bypass", SECRET.encode())])
    assert gate.is_exempt([(b"x-maintenance-bypass", f"  {SECRET} ".encode())])
    assert gate.is_exempt([(b"cookie", f"a=1; maintenance_bypass={cookie}; b=2".encode())])
    assert gate.is_exempt([(b"cookie", f'maintenance_bypass="{cookie}"'.encode())])
    assert gate.is_exempt([(b"cookie", b"a=1"), (b"cookie", f"maintenance_bypass={cookie}".encode())])
    assert gate.is_exempt(
        iter([(b"cookie", f"maintenance_bypass=stale; maintenance_bypass={cookie}".encode())])
    )
    assert not gate.is_exempt([])
    assert not gate.is_exempt([(b"x-maintenance-bypass", b"wrong")])
    assert not gate.is_exempt([(b"cookie", f"other={cookie}".encode())])
    assert not gate.is_exempt([(b"cookie", f"xmaintenance_bypass={cookie}".encode())])
    assert not gate.is_exempt([(b"x-other", SECRET.encode())])
    assert not gate.is_exempt([(b"cookie", f"maintenance_bypass={SECRET}".encode())])
    clock.now += 3600
    assert not gate.is_exempt([(b"cookie", f"maintenance_bypass={cookie}".encode())])


def test_cookie_values_in_one_header() -> None:
    header = b'a=1; b="2"; a = 3 ;c'
    assert list(cookie_values_in(header, b"a")) == [b"1", b"3"]
    assert list(cookie_values_in(header, b"b")) == [b"2"]
    assert list(cookie_values_in(header, b"c")) == []


def test_find_query_param_keeps_everything_else_in_order() -> None:
    found = find_query_param(b"z=1&p=a&&y=2&p=b%20c&x", b"p")
    assert found is not None
    assert found.values == [b"a", b"b c"]
    assert found.remaining == b"z=1&y=2&x"
    assert find_query_param(b"z=1", b"p") is None
    assert find_query_param(b"", b"p") is None


header_names = st.sampled_from([b"cookie", b"x-maintenance-bypass", b"authorization", b"x-forwarded-for"])
cookie_like = st.lists(
    st.tuples(
        st.sampled_from(["maintenance_bypass", "a", " maintenance_bypass", "maintenance_bypass "]),
        st.text(alphabet="ABCDEFabcdef0123456789-_=\"' ;é", max_size=70),
    ),
    max_size=4,
).map(lambda pairs: "; ".join(f"{k}={v}" for k, v in pairs).encode())


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(header_names, st.one_of(st.binary(max_size=200), cookie_like)), max_size=6))
def test_arbitrary_headers_never_raise_and_never_exempt(headers: Headers) -> None:
    gate, _ = make_gate()
    assert gate.is_exempt(headers) is False


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["http", "https", "ws", ""]), st.text(max_size=30))
def test_arbitrary_queries_never_raise_and_never_redirect(query: bytes, scheme: str, path: str) -> None:
    gate, _ = make_gate()
    assert gate.redirect_for(scheme, path, query) is None
