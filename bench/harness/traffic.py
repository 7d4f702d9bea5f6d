"""Requests for the in-process harness: prebuilt ASGI scopes, and the check of what came back.

Traffic cycles through many distinct paths spread over every route, so a
middleware cannot hide a per-route scan behind a small cache.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from starlette.types import ASGIApp, Message

from .apps import MAINTENANCE_BODY, STATIC_PAGES, resource_body, resource_path, static_body

#: How many distinct paths the timed traffic cycles through.
DISTINCT_PATHS = 4096
#: One request in this many goes to a static route.
STATIC_EVERY = 16
UNKNOWN_PATH = "/no-such-route/1"
_HEADERS = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")]


@dataclass(frozen=True)
class Target:
    path: str
    body: Dict[str, Any]


def make_scope(path: str) -> Dict[str, Any]:
    """An HTTP scope as uvicorn would build it for ``GET path``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path,
        "raw_path": path.encode("ascii"),
        "query_string": b"",
        "headers": _HEADERS,
        "state": {},
    }


def target(route_count: int, number: int) -> Target:
    """The ``number``-th request of the traffic.

    Requests come in blocks of ``STATIC_EVERY``: one static route, and parameterised routes spread
    evenly over the whole route list (the offset moving from block to block so that every route is
    visited). Every block thus costs a router scanning the routes in order the same, and a timed
    run, a whole number of blocks, gets the same mix of early and late routes wherever it starts.
    """
    block, slot = divmod(number, STATIC_EVERY)
    per_block = STATIC_EVERY - 1
    if slot == per_block:
        page = STATIC_PAGES[block % len(STATIC_PAGES)]
        return Target(f"/{page}", static_body(page))
    span = -(-route_count // per_block)  # ceil: the offsets that reach every route
    offset = block % span
    # Even slots move forward from their base, odd slots backward: the block's mean position stays put.
    shift = offset if slot % 2 == 0 else span - 1 - offset
    index = (slot * route_count // per_block + shift) % route_count
    return Target(resource_path(index, number), resource_body(index, number))


def traffic(route_count: int, distinct: int = DISTINCT_PATHS) -> List[Target]:
    return [target(route_count, number) for number in range(distinct)]


class Receive:
    """One request without a body; afterwards waits, like a server, until the client goes away."""

    __slots__ = ("_sent",)

    def __init__(self) -> None:
        self._sent = False

    async def __call__(self) -> Message:
        if not self._sent:
            self._sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Captured:
    status: Optional[int] = None
    headers: List[Tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            self.complete = not message.get("more_body", False)

    def header(self, name: bytes) -> Optional[bytes]:
        return next((value for key, value in self.headers if key.lower() == name), None)


async def capture(app: ASGIApp, path: str) -> Captured:
    captured = Captured()
    await app(make_scope(path), Receive(), captured.send)
    return captured


def problem_with(
    path: str,
    status: Optional[int],
    body: bytes,
    retry_after: Optional[str],
    maintenance: bool,
    expected: Optional[Dict[str, Any]],
) -> Optional[str]:
    """What is wrong with one response, or None. ``expected`` None means an unknown path (404)."""
    if expected is None:
        return None if status == 404 else f"GET {path}: status {status}, expected 404 for an unknown path"
    want_status = 503 if maintenance else 200
    if status != want_status:
        return f"GET {path}: status {status}, expected {want_status}"
    try:
        document = json.loads(body)
    except ValueError:
        return f"GET {path}: body is not JSON: {body[:80]!r}"
    want_body = MAINTENANCE_BODY if maintenance else expected
    if document != want_body:
        return f"GET {path}: body {document!r}, expected {want_body!r}"
    if maintenance and not retry_after:
        return f"GET {path}: 503 without a Retry-After header"
    return None


async def check_app(app: ASGIApp, route_count: int, maintenance: bool, sample: int = 64) -> List[str]:
    """Problems found in the responses to a sample of the traffic plus an unknown path (empty: all correct)."""
    problems: List[str] = []
    checks: List[Tuple[str, Optional[Dict[str, Any]]]] = [
        (t.path, t.body) for t in traffic(route_count, sample)
    ]
    checks.append((UNKNOWN_PATH, None))
    for path, expected in checks:
        captured = await capture(app, path)
        retry_after = captured.header(b"retry-after")
        problem = problem_with(
            path,
            captured.status,
            bytes(captured.body),
            retry_after.decode("latin-1") if retry_after is not None else None,
            maintenance,
            expected,
        )
        if problem is None and not captured.complete:
            problem = f"GET {path}: the response body never completed"
        if problem is not None:
            problems.append(problem)
    return problems


class StatusCounter:
    """The timed loop's ``send``: counts statuses, so a round that answered wrongly is caught too."""

    __slots__ = ("expected", "unexpected")

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.unexpected = 0

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] != self.expected:
            self.unexpected += 1
