"""What the benchmark asks for, and what a right answer is.

The timed traffic cycles through thousands of distinct paths spread over every route, so a
middleware cannot hide a per-route scan behind a small cache. Before any timing, every variant's
answers to a sample of it are checked, in-process (ASGI) or over HTTP.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import httpx

from .variants import MAINTENANCE_BODY, STATIC_PAGES

#: How many requests the traffic holds before it repeats.
DISTINCT_PATHS = 4096
#: One request in this many goes to a static route.
STATIC_EVERY = 16
UNKNOWN_PATH = "/no-such-route/1"

#: A request's path and the JSON body the app answers it with when maintenance is off.
Target = Tuple[str, Dict[str, Any]]


def traffic(route_count: int, distinct: int = DISTINCT_PATHS) -> List[Target]:
    """The requests in order: the parameterised routes in turn, one static route in every
    ``STATIC_EVERY``. Every variant of a group gets the same requests in the same order."""
    targets: List[Target] = []
    for number in range(distinct):
        block, slot = divmod(number, STATIC_EVERY)
        if slot == STATIC_EVERY - 1:
            page = STATIC_PAGES[block % len(STATIC_PAGES)]
            targets.append((f"/{page}", {"page": page}))
        else:
            index = (number - block) % route_count
            targets.append((f"/resource{index}/{number}", {"route": index, "item_id": number}))
    return targets


def problem_with(
    response: httpx.Response, maintenance: bool, expected: Optional[Dict[str, Any]]
) -> Optional[str]:
    """What is wrong with one response, or None. ``expected`` None means an unknown path (404)."""
    where = f"GET {response.request.url.path}"
    want_status, want_body = (503, MAINTENANCE_BODY) if maintenance else (200, expected)
    if expected is None:
        want_status = 404
    if response.status_code != want_status:
        return f"{where}: status {response.status_code}, expected {want_status}"
    if expected is None:
        return None
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
    checks: List[Tuple[str, Optional[Dict[str, Any]]]] = [*traffic(route_count, sample), (UNKNOWN_PATH, None)]
    problems = [problem_with(await client.get(path), maintenance, expected) for path, expected in checks]
    return [problem for problem in problems if problem is not None]
