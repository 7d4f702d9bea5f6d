"""IP allow-lists and client address resolution behind (and not behind) trusted proxies."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address, ip_network
from typing import List, Optional, Tuple, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastapi_maintenance.access.client_ip import (
    DEFAULT_MAX_HOPS,
    ClientAddressResolver,
    IPRanges,
    parse_node,
)

Headers = List[Tuple[bytes, bytes]]
ALLOWED = IPRanges(["203.0.113.7", "2001:db8:1::/48"])
PROXIES = ["10.0.0.0/8", "fd00::/8"]


def xff(*values: bytes) -> Headers:
    return [(b"x-forwarded-for", value) for value in values]


def forwarded(*values: bytes) -> Headers:
    return [(b"forwarded", value) for value in values]


# --- IPRanges ------------------------------------------------------------------------------


def test_ranges_match_addresses_cidrs_and_their_edges() -> None:
    ranges = IPRanges(["10.1.0.0/16", "192.0.2.5", "2001:db8::/32", " 198.51.100.0/24 "])
    assert ip_address("10.1.0.0") in ranges
    assert ip_address("10.1.255.255") in ranges
    assert ip_address("10.2.0.0") not in ranges
    assert ip_address("10.0.255.255") not in ranges
    assert ip_address("192.0.2.5") in ranges
    assert ip_address("192.0.2.6") not in ranges
    assert ip_address("198.51.100.200") in ranges
    assert ip_address("2001:db8:ffff::1") in ranges
    assert ip_address("2001:db9::") not in ranges
    assert ranges.entries == ("10.1.0.0/16", "192.0.2.5/32", "198.51.100.0/24", "2001:db8::/32")


def test_ipv4_mapped_ipv6_addresses_match_ipv4_ranges() -> None:
    ranges = IPRanges(["10.0.0.0/8"])
    assert ip_address("::ffff:10.0.0.1") in ranges
    assert ip_address("::ffff:11.0.0.1") not in ranges
    # and a range written in mapped form matches plain IPv4 addresses
    mapped = IPRanges(["::ffff:192.168.0.0/112"])
    assert ip_address("192.168.7.7") in mapped
    assert ip_address("192.169.0.1") not in mapped
    assert ip_address("::ffff:192.168.0.1") in mapped


def test_ipv6_ranges_do_not_match_ipv4_and_vice_versa() -> None:
    assert ip_address("::a00:1") not in IPRanges(["10.0.0.0/8"])
    assert ip_address("0.0.0.1") not in IPRanges(["::/96"])
    assert ip_address("::ffff:1.2.3.4") in IPRanges(["::/0"])


def test_ranges_truthiness_and_non_addresses() -> None:
    assert not IPRanges([])
    assert not IPRanges()
    assert IPRanges(["::1"])
    assert None not in IPRanges(["0.0.0.0/0"])
    assert "10.0.0.1" not in IPRanges(["0.0.0.0/0"])  # strings are not parsed at request time
    assert "10.0.0.0/8" in repr(IPRanges(["10.0.0.0/8"]))


@pytest.mark.parametrize(
    ("entries", "fragment"),
    [
        (["10.0.0.0/8", "10.0.0.1/8"], "#1 '10.0.0.1/8'"),
        (["nope"], "#0 'nope'"),
        (["1.1.1.1", "1.1.1.1", ""], "#2 ''"),
        (["10.0.0.0/33"], "#0 '10.0.0.0/33'"),
        (["::1", "[::1]"], "#1 '[::1]'"),
        ([5], "#0 5"),
    ],
)
def test_bad_entries_name_the_entry_and_its_index(entries: List[object], fragment: str) -> None:
    with pytest.raises(ValueError, match="IP range") as caught:
        IPRanges(entries)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


def _reference_contains(networks: List[str], address: Union[IPv4Address, IPv6Address]) -> bool:
    candidates: List[Union[IPv4Address, IPv6Address]] = [address]
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    for text in networks:
        net = ip_network(text)
        if isinstance(net, IPv6Network) and net.subnet_of(IPv6Network("::ffff:0:0/96")):
            net = ip_network(f"{IPv4Address(int(net.network_address) & 0xFFFFFFFF)}/{net.prefixlen - 96}")
        if any(c.version == net.version and c in net for c in candidates):
            return True
    return False


v4_networks = st.builds(
    lambda a, p: str(ip_network(f"{IPv4Address(a)}/{p}", strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
v6_networks = st.builds(
    lambda a, p: str(ip_network(f"{IPv6Address(a)}/{p}", strict=False)),
    st.integers(0, 2**128 - 1),
    st.integers(0, 128),
)
mapped_networks = st.builds(
    lambda a, p: str(ip_network(f"{IPv6Address((0xFFFF << 32) | a)}/{96 + p}", strict=False)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)
addresses = st.one_of(
    st.ip_addresses(),
    st.integers(0, 2**32 - 1).map(lambda a: IPv6Address((0xFFFF << 32) | a)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(v4_networks, v6_networks, mapped_networks), max_size=8), addresses)
def test_membership_agrees_with_ipaddress(
    networks: List[str], address: Union[IPv4Address, IPv6Address]
) -> None:
    assert (address in IPRanges(networks)) is _reference_contains(networks, address)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(v4_networks, v6_networks), min_size=1, max_size=8), st.data())
def test_every_address_of_a_listed_network_edge_matches(networks: List[str], data: st.DataObject) -> None:
    net = ip_network(data.draw(st.sampled_from(networks)))
    ranges = IPRanges(networks)
    assert net.network_address in ranges
    assert net.broadcast_address in ranges


# --- parse_node ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        ("  1.2.3.4 ", "1.2.3.4"),
        ("1.2.3.4:8080", "1.2.3.4"),
        ('"1.2.3.4:8080"', "1.2.3.4"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ('"[2001:db8::1]:_port"', "2001:db8::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("1.2.3.4:", None),
        ("1.2.3.4:abc", None),
        ("1.2.3.4:123456", None),
        ("[2001:db8::1", None),
        ("[2001:db8::1]x", None),
        ("[1.2.3.4]", None),
        ("[2001:db8::1]:", None),
        ("unknown", None),
        ("_hidden", None),
        ("", None),
        ("1.2.3.4.5", None),
        ("\uff11.\uff12.\uff13.\uff14", None),  # fullwidth digits
        ("\u0661.\u0662.\u0663.\u0664", None),
        ("1" * 500, None),
    ],
)
def test_parse_node(text: str, expected: Optional[str]) -> None:
    assert parse_node(text) == (None if expected is None else ip_address(expected))


# --- ClientAddressResolver -----------------------------------------------------------------


def test_forged_forwarded_for_from_untrusted_peer_is_ignored() -> None:
    resolver = ClientAddressResolver(PROXIES)
    client = resolver.resolve("198.51.100.9", xff(b"203.0.113.7"))
    assert client == ip_address("198.51.100.9")
    assert client not in ALLOWED
    client = resolver.resolve("198.51.100.9", forwarded(b"for=203.0.113.7"))
    assert client == ip_address("198.51.100.9")


def test_forwarding_headers_are_ignored_without_trusted_proxies() -> None:
    resolver = ClientAddressResolver()
    assert resolver.resolve("10.0.0.1", xff(b"203.0.113.7")) == ip_address("10.0.0.1")


def test_forwarded_for_through_trusted_proxy_is_honoured() -> None:
    resolver = ClientAddressResolver(PROXIES)
    client = resolver.resolve("10.0.0.1", xff(b"203.0.113.7"))
    assert client == ip_address("203.0.113.7")
    assert client in ALLOWED


def test_forged_entry_left_of_the_real_client_is_not_believed() -> None:
    # The attacker sends "X-Forwarded-For: 203.0.113.7"; the proxy appends the real address.
    resolver = ClientAddressResolver(PROXIES)
    client = resolver.resolve("10.0.0.1", xff(b"203.0.113.7, 198.51.100.9"))
    assert client == ip_address("198.51.100.9")


def test_walk_skips_every_trusted_hop_across_several_headers() -> None:
    resolver = ClientAddressResolver(IPRanges(PROXIES))
    headers = [(b"x-forwarded-for", b"198.51.100.1, 203.0.113.7"), (b"x-forwarded-for", b"10.9.9.9,fd00::1")]
    assert resolver.resolve("10.0.0.1", headers) == ip_address("203.0.113.7")


def test_all_hops_trusted_gives_the_leftmost_and_no_header_gives_the_peer() -> None:
    resolver = ClientAddressResolver(PROXIES)
    assert resolver.resolve("10.0.0.1", xff(b"10.0.0.7, 10.0.0.8")) == ip_address("10.0.0.7")
    assert resolver.resolve("10.0.0.1", [(b"host", b"example.com")]) == ip_address("10.0.0.1")
    assert resolver.resolve("10.0.0.1", xff(b" , ,")) == ip_address("10.0.0.1")
    assert resolver.resolve("::ffff:10.0.0.1", xff(b"203.0.113.7")) == ip_address("203.0.113.7")


def test_unreadable_hop_stops_the_walk_with_unknown() -> None:
    resolver = ClientAddressResolver(PROXIES)
    assert resolver.resolve("10.0.0.1", xff(b"203.0.113.7, garbage")) is None
    assert resolver.resolve("10.0.0.1", xff(b"203.0.113.7, unknown, 10.0.0.2")) is None
    # but an untrusted readable hop to the right of garbage is the answer
    assert resolver.resolve("10.0.0.1", xff(b"garbage, 198.51.100.9")) == ip_address("198.51.100.9")


def test_only_the_header_the_proxy_writes_is_read() -> None:
    headers = [*forwarded(b"for=198.51.100.1"), *xff(b"203.0.113.7")]
    assert ClientAddressResolver(PROXIES).resolve("10.0.0.1", headers) == ip_address("203.0.113.7")
    # A proxy writing Forwarded passes a client's forged X-Forwarded-For through: it must not count.
    by_forwarded = ClientAddressResolver(PROXIES, header="Forwarded")
    assert by_forwarded.resolve("10.0.0.1", headers) == ip_address("198.51.100.1")
    assert by_forwarded.resolve("10.0.0.1", xff(b"203.0.113.7")) == ip_address("10.0.0.1")
    assert ClientAddressResolver(PROXIES).resolve("10.0.0.1", forwarded(b"for=198.51.100.1")) == ip_address(
        "10.0.0.1"
    )
    real_ip = ClientAddressResolver(PROXIES, header="x-real-ip")
    assert real_ip.resolve("10.0.0.1", [(b"x-real-ip", b"198.51.100.4"), *xff(b"203.0.113.7")]) == ip_address(
        "198.51.100.4"
    )
    with pytest.raises(ValueError, match="header must be one of"):
        ClientAddressResolver(PROXIES, header="X-Client-IP")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"for=203.0.113.7", "203.0.113.7"),
        (b'For="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
        (b"for=203.0.113.7:8080;proto=https;by=10.0.0.1", "203.0.113.7"),
        (b"proto=https; for=203.0.113.7", "203.0.113.7"),
        (b"for=198.51.100.1, for=203.0.113.7, for=10.0.0.5", "203.0.113.7"),
        (b"for=203.0.113.7, for=_hidden", None),
        (b"for=203.0.113.7, for=unknown", None),
        (b'for=203.0.113.7, for="_gazonk"', None),
        (b"for=203.0.113.7, proto=https", None),
        (b"for=10.0.0.9", "10.0.0.9"),
        (b'for="[2001:db8::1', None),
    ],
)
def test_rfc7239_forwarded(value: bytes, expected: Optional[str]) -> None:
    result = ClientAddressResolver(PROXIES, header="Forwarded").resolve("10.0.0.1", forwarded(value))
    assert (None if result is None else str(result)) == expected


def test_hundreds_of_entries_are_bounded() -> None:
    resolver = ClientAddressResolver(PROXIES)
    trusted_chain = b",".join([b"10.0.0.2"] * 500)
    assert resolver.resolve("10.0.0.1", xff(b"203.0.113.7," + trusted_chain)) is None
    untrusted_tail = b",".join([b"198.51.100.1"] * 500) + b", 203.0.113.7"
    assert resolver.resolve("10.0.0.1", xff(untrusted_tail)) == ip_address("203.0.113.7")
    huge = b"x" * 200_000 + b", 203.0.113.7"
    assert resolver.resolve("10.0.0.1", xff(huge)) == ip_address("203.0.113.7")


def test_max_hops_is_the_exact_bound() -> None:
    resolver = ClientAddressResolver(PROXIES, max_hops=3)
    assert resolver.resolve("10.0.0.1", xff(b"10.0.0.4, 10.0.0.3, 10.0.0.2")) == ip_address("10.0.0.4")
    assert resolver.resolve("10.0.0.1", xff(b"203.0.113.7, 10.0.0.4, 10.0.0.3, 10.0.0.2")) is None
    assert resolver.resolve("10.0.0.1", xff(b"203.0.113.7, 10.0.0.3", b"10.0.0.2")) == ip_address(
        "203.0.113.7"
    )
    assert resolver.resolve("10.0.0.1", xff(b"203.0.113.7", b"10.0.0.4, 10.0.0.3", b"10.0.0.2")) is None
    assert DEFAULT_MAX_HOPS == 64
    with pytest.raises(ValueError, match="max_hops"):
        ClientAddressResolver(PROXIES, max_hops=0)


@pytest.mark.parametrize(
    "value",
    [
        b"\xff\xfe\x00\x01",
        b"[::1",
        b"]]]:::[[[",
        b"[2001:db8::1]:99999999",
        b"1.2.3.4\r\n5.6.7.8",
        b"\xc3\xa9,\xc3\xa9",
        b",,,,,,",
        b"\x00",
        "\u0661\u0662\u0663.\u0664.\u0665.\u0666".encode(),  # Arabic-Indic digits
    ],
)
def test_garbage_never_raises(value: bytes) -> None:
    resolver = ClientAddressResolver(PROXIES)
    resolver.resolve("10.0.0.1", xff(value))
    resolver.resolve("10.0.0.1", forwarded(value))
    assert resolver.resolve("10.0.0.1", xff(value + b", 203.0.113.7")) == ip_address("203.0.113.7")


@pytest.mark.parametrize("peer", [None, "", "testclient", "/run/app.sock", "10.0.0.1:80", "\udcff"])
def test_unparseable_peer_is_unknown(peer: Optional[str]) -> None:
    assert ClientAddressResolver(PROXIES).resolve(peer, xff(b"203.0.113.7")) is None


def test_header_names_are_matched_case_insensitively() -> None:
    resolver = ClientAddressResolver(PROXIES)
    assert resolver.resolve("10.0.0.1", [(b"X-Forwarded-For", b"203.0.113.7")]) == ip_address("203.0.113.7")


header_names = st.sampled_from([b"x-forwarded-for", b"forwarded", b"X-Forwarded-For", b"host", b"cookie"])
header_values = st.one_of(
    st.binary(max_size=300),
    st.text(alphabet='0123456789abcdef.:[]," ;=_-fo\t', max_size=120).map(str.encode),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(header_names, header_values), max_size=6), st.sampled_from(["10.0.0.1", "fd00::1"]))
def test_any_headers_from_a_trusted_peer_never_raise(headers: Headers, peer: str) -> None:
    result = ClientAddressResolver(PROXIES).resolve(peer, headers)
    assert result is None or isinstance(result, (IPv4Address, IPv6Address))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(header_names, header_values), max_size=6), st.ip_addresses())
def test_an_untrusted_peer_is_always_the_client(
    headers: Headers, peer: Union[IPv4Address, IPv6Address]
) -> None:
    resolver = ClientAddressResolver(PROXIES)
    if peer not in resolver.trusted_proxies:
        assert resolver.resolve(str(peer), headers) == peer


hops = st.one_of(
    st.integers(0, 2**24 - 1).map(lambda n: IPv4Address((10 << 24) | n)),  # trusted
    st.sampled_from([ip_address("203.0.113.7"), ip_address("198.51.100.9"), ip_address("2001:db8::5")]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(hops, max_size=12), st.integers(1, 4))
def test_walk_matches_reference(chain: List[Union[IPv4Address, IPv6Address]], headers_count: int) -> None:
    trusted = IPRanges(PROXIES)
    expected: Optional[Union[IPv4Address, IPv6Address]] = ip_address("10.0.0.1")
    for hop in reversed(chain):
        expected = hop
        if hop not in trusted:
            break
    # split the chain over several headers, as HTTP allows
    texts = [f"[{h}]:80" if h.version == 6 else str(h) for h in chain]
    size = max(1, -(-len(texts) // headers_count))
    values = [", ".join(texts[i : i + size]).encode() for i in range(0, len(texts), size)] or [b""]
    assert ClientAddressResolver(trusted).resolve("10.0.0.1", xff(*values)) == expected
    as_forwarded = [
        ", ".join(f'for="{t}"' for t in texts[i : i + size]).encode() for i in range(0, len(texts), size)
    ]
    by_forwarded = ClientAddressResolver(trusted, header="Forwarded")
    assert by_forwarded.resolve("10.0.0.1", forwarded(*(as_forwarded or [b""]))) == expected
