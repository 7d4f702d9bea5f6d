"""Who is the client? IP allow-lists and proxy-aware client address resolution.

Forwarding headers are written by whoever sends the request, so they are only believed when
the TCP peer is a trusted proxy, and then only as far back as the chain of trusted proxies
goes: the first untrusted hop (walking right to left) is the client.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Callable, Iterable, List, Literal, Optional, Sequence, Tuple, Union, get_args

__all__ = [
    "DEFAULT_MAX_HOPS",
    "FORWARDED_HEADERS",
    "ClientAddressResolver",
    "ForwardedHeaderName",
    "IPAddress",
    "IPRanges",
    "parse_node",
]

IPAddress = Union[IPv4Address, IPv6Address]

#: The headers a trusted proxy may write the client address into (settings key ``forwarded_header``);
#: the first is the default.
ForwardedHeaderName = Literal["X-Forwarded-For", "Forwarded", "X-Real-IP"]
FORWARDED_HEADERS: Tuple[ForwardedHeaderName, ...] = get_args(ForwardedHeaderName)

#: How many forwarding entries are examined at most (from the right); more is never legitimate.
DEFAULT_MAX_HOPS = 64
_MAX_NODE_LENGTH = 100  # longest plausible "[v6%scope]:port"
_MAPPED_V4 = IPv6Network("::ffff:0:0/96")
# (mask, {network ints}) per prefix length, longest prefix first.
_Buckets = Tuple[Tuple[int, "frozenset[int]"], ...]


def _buckets(networks: Iterable[Union[IPv4Network, IPv6Network]], bits: int) -> _Buckets:
    by_length: dict[int, set[int]] = {}
    for net in networks:
        by_length.setdefault(net.prefixlen, set()).add(int(net.network_address))
    full = (1 << bits) - 1
    return tuple(
        (full ^ ((1 << (bits - length)) - 1), frozenset(nets))
        for length, nets in sorted(by_length.items(), reverse=True)
    )


def _in(buckets: _Buckets, value: int) -> bool:
    return any((value & mask) in nets for mask, nets in buckets)


class IPRanges:
    """A compiled set of addresses and CIDR ranges (IPv4 and IPv6); membership costs one set
    lookup per distinct prefix length. IPv4-mapped IPv6 addresses match IPv4 ranges."""

    __slots__ = ("_entries", "_v4", "_v6")

    def __init__(self, entries: Iterable[str] = ()) -> None:
        v4: List[IPv4Network] = []
        v6: List[IPv6Network] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                raise ValueError(f"IP range #{index} {entry!r}: expected a string like '10.0.0.0/8'")
            try:
                net = ip_network(entry.strip(), strict=True)
            except ValueError as exc:
                raise ValueError(
                    f"IP range #{index} {entry!r} is not an IP address or CIDR range: {exc}"
                ) from None
            if isinstance(net, IPv6Network) and net.subnet_of(_MAPPED_V4):
                v4.append(IPv4Network((int(net.network_address) & 0xFFFFFFFF, net.prefixlen - 96)))
            elif isinstance(net, IPv4Network):
                v4.append(net)
            else:
                v6.append(net)
        self._entries: Tuple[str, ...] = tuple(str(n) for n in [*v4, *v6])
        self._v4 = _buckets(v4, 32)
        self._v6 = _buckets(v6, 128)

    @property
    def entries(self) -> Tuple[str, ...]:
        """Normalised ranges, for logs and status output (not secret)."""
        return self._entries

    def __contains__(self, address: object) -> bool:
        if isinstance(address, IPv4Address):
            return _in(self._v4, int(address))
        if isinstance(address, IPv6Address):
            mapped = address.ipv4_mapped
            if mapped is not None and _in(self._v4, int(mapped)):
                return True
            return _in(self._v6, int(address))
        return False

    def __bool__(self) -> bool:
        return bool(self._v4 or self._v6)

    def __repr__(self) -> str:
        return f"IPRanges({list(self._entries)!r})"


def _parse_address(text: str) -> Optional[IPAddress]:
    try:
        return ip_address(text)
    except ValueError:
        return None


def parse_node(text: str) -> Optional[IPAddress]:
    """Parse one forwarding hop: ``1.2.3.4``, ``1.2.3.4:80``, ``2001:db8::1``, ``[2001:db8::1]:80``,
    optionally double-quoted. Anything else (``unknown``, ``_hidden``, garbage) gives None."""
    text = text.strip()
    if len(text) > _MAX_NODE_LENGTH or not text.isascii():
        return None
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not (rest[0] == ":" and _is_port(rest[1:]))):
            return None
        address = _parse_address(host)
        return address if isinstance(address, IPv6Address) else None
    if text.count(":") == 1:  # IPv4 with a port
        host, _, port = text.partition(":")
        address = _parse_address(host) if _is_port(port) else None
        return address if isinstance(address, IPv4Address) else None
    return _parse_address(text)


def _is_port(text: str) -> bool:
    # RFC 7239 allows an obfuscated port ("_abc"); the port is never used, only tolerated.
    return (0 < len(text) <= 5 and text.isdigit()) or (len(text) > 1 and text[0] == "_")


def _whole(item: str) -> str:
    return item


def _forwarded_for(element: str) -> str:
    """The ``for=`` value of one RFC 7239 element, or "" when it has none."""
    for pair in element.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip().lower() == "for":
            return value
    return ""


#: The headers a trusted proxy may be named as writing, and how one list item names its hop.
_HEADERS = {"x-forwarded-for": _whole, "forwarded": _forwarded_for, "x-real-ip": _whole}


class ClientAddressResolver:
    """Resolve the client address of a request from its ASGI peer and, behind trusted proxies,
    from the one forwarding header they write (``header``: ``X-Forwarded-For`` by default,
    ``Forwarded`` or ``X-Real-IP``). Only that header is read: a proxy that passes a client's own
    copy of another one through must not let that copy decide.

    Walking the hops right to left: a trusted hop moves on, the first untrusted hop is the
    client, and a hop that cannot be read (garbage, ``unknown``, an obfuscated name, an element
    without ``for=``) or a chain longer than ``max_hops`` gives None ("unknown client"), never
    an address chosen by the sender. If every hop is trusted the leftmost one is the client.
    A trusted peer that sent no forwarding header is itself the client.
    """

    __slots__ = ("_header", "_max_hops", "_pick", "_trusted")

    def __init__(
        self,
        trusted_proxies: Union[IPRanges, Sequence[str]] = (),
        *,
        max_hops: int = DEFAULT_MAX_HOPS,
        header: str = FORWARDED_HEADERS[0],
    ) -> None:
        if max_hops < 1:
            raise ValueError(f"max_hops must be at least 1, got {max_hops}")
        pick = _HEADERS.get(header.lower())
        if pick is None:
            raise ValueError(f"header must be one of {', '.join(FORWARDED_HEADERS)}; got {header!r}")
        self._header = header.lower().encode("latin-1")
        self._pick = pick
        self._trusted = (
            trusted_proxies if isinstance(trusted_proxies, IPRanges) else IPRanges(trusted_proxies)
        )
        self._max_hops = max_hops

    @property
    def trusted_proxies(self) -> IPRanges:
        return self._trusted

    def resolve(
        self, peer_host: Optional[str], headers: Iterable[Tuple[bytes, bytes]]
    ) -> Optional[IPAddress]:
        """The client address, or None when it cannot be known. Never raises on header content."""
        peer = _parse_address(peer_host) if isinstance(peer_host, str) else None
        if peer is None or peer not in self._trusted:
            return peer
        wanted = self._header
        size = len(wanted)
        values = [value for name, value in headers if len(name) == size and name.lower() == wanted]
        if values:
            return self._walk(peer, values, self._pick)
        return peer

    def _walk(self, peer: IPAddress, values: List[bytes], pick: Callable[[str], str]) -> Optional[IPAddress]:
        client = peer
        budget = self._max_hops
        for value in reversed(values):
            for item in reversed(value.decode("latin-1").rsplit(",", budget)):
                if budget == 0:  # more hops than we are willing to look at
                    return None
                budget -= 1
                if not item.strip():
                    continue  # empty list items are allowed by the grammar
                hop = parse_node(pick(item))
                if hop is None:
                    return None
                if hop not in self._trusted:
                    return hop
                client = hop
        return client
