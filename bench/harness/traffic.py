"""What the benchmark asks for and what a right answer is.

Traffic cycles through many distinct paths spread over every route, so a
middleware cannot hide a per-route scan behind a small cache. Before any timing,
every variant's answers to a sample of it are checked with httpx, in-process
(ASGI) or over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import httpx

from .apps import MAINTENANCE_BODY, STATIC_PAGES, resource_body, static_body

#: How many distinct paths the timed traffic cycles through.
DISTINCT_PATHS = 4096
#: One request in this many goes to a static route.
STATIC_EVERY = 16
UNKNOWN_PATH = "/no-such-route/1"


@dataclass(frozen=True)
class Target:
    path: str
    body: Dict[str, Any]


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
    return Target(f"/resource{index}/{number}", resource_body(index, number))


def traffic(route_count: int, distinct: int = DISTINCT_PATHS) -> List[Target]:
    return [target(route_count, number) for number in range(distinct)]


def problem_with(
    response: httpx.Response, maintenance: bool, expected: Optional[Dict[str, Any]]
) -> Optional[str]:
    """What is wrong with one response, or None. ``expected`` None means an unknown path (404)."""
    where = f"GET {response.request.url.path}"
    if expected is None:
        return (
            None if response.status_code == 404 else f"{where}: status {response.status_code}, expected 404"
        )
    want_status, want_body = (503, MAINTENANCE_BODY) if maintenance else (200, expected)
    if response.status_code != want_status:
        return f"{where}: status {response.status_code}, expected {want_status}"
    try:
        document = response.json()
    except ValueError:
        return f"{where}: body is not JSON: {response.content[:80]!r}"
    if document != want_body:
        return f"{where}: body {document!r}, expected {want_body!r}"
    if maintenance and not response.headers.get("retry-after"):
        return f"{where}: 503 without a Retry-After header"
    return None


async def check_responses(
    client: httpx.AsyncClient, route_count: int, maintenance: bool, sample: int = 64
) -> List[str]:
    """Problems in the answers to a sample of the traffic and to an unknown path (empty: all correct)."""
    checks: List[Tuple[str, Optional[Dict[str, Any]]]] = [
        (t.path, t.body) for t in traffic(route_count, sample)
    ]
    checks.append((UNKNOWN_PATH, None))
    problems = [problem_with(await client.get(path), maintenance, expected) for path, expected in checks]
    return [problem for problem in problems if problem is not None]
