"""Which route a request reaches, and that route's forced mark, compiled once from the app's router.

The router dispatches to the first route that fully matches (path and
method). To find it without trying every route, routes are bucketed by their
first path segment: a request only tries the routes whose first segment is
its own or a parameter, in router order. Route objects' own ``matches`` is
used for the final answer, so custom converters, mounts and host routes
behave exactly as the router does.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import Scope

from .decorators import forced_mark

_Entry = Tuple[BaseRoute, Optional[bool]]


def _first_segment(path_format: str) -> Optional[str]:
    """The literal first segment of a route path, or None when it may vary (a parameter, an empty mount)."""
    stripped = path_format.lstrip("/")
    segment = stripped.split("/", 1)[0]
    if "{" in segment:
        return None
    return segment


def _request_segment(route_path: str) -> str:
    stripped = route_path[1:] if route_path.startswith("/") else route_path
    slash = stripped.find("/")
    return stripped if slash < 0 else stripped[:slash]


def _route_key(route: BaseRoute) -> Optional[str]:
    if isinstance(route, (Route, WebSocketRoute)):
        return _first_segment(route.path_format)
    if isinstance(route, Mount):
        if not route.path:
            return None
        return _first_segment(route.path_format)
    return None


class RouteTable:
    """A snapshot of a router's routes, indexed by first path segment."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.size = len(routes)
        entries: List[Tuple[int, _Entry, Optional[str]]] = []
        for index, route in enumerate(routes):
            mark = forced_mark(getattr(route, "endpoint", None))
            entries.append((index, (route, mark), _route_key(route)))
        wildcard = [entry for _, entry, key in entries if key is None]
        buckets: Dict[str, List[_Entry]] = {}
        for key in {key for _, _, key in entries if key is not None}:
            buckets[key] = [entry for _, entry, entry_key in entries if entry_key in (key, None)]
        self._buckets = buckets
        self._wildcard = wildcard
        self.has_forced_on = any(entry[1] is True for _, entry, _ in entries)
        self.forced_on_regexes = tuple(
            route.path_regex
            for _, (route, mark), _ in entries
            if mark is True and isinstance(route, (Route, WebSocketRoute))
        )

    def lookup(self, scope: Scope, route_path: str) -> Tuple[bool, Optional[bool]]:
        """(found, mark) for the route the router would dispatch this request to."""
        candidates = self._buckets.get(_request_segment(route_path), self._wildcard)
        for route, mark in candidates:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return True, mark
        return False, None

    def may_be_forced_on(self, route_path: str) -> bool:
        """Cheap pre-check: could this path reach a forced-on route at all?"""
        return any(regex.match(route_path) for regex in self.forced_on_regexes)


def routes_of(app: Any) -> Optional[List[BaseRoute]]:
    """The route list of a Starlette/FastAPI app (``scope["app"]``), or None for a plain ASGI app."""
    router = getattr(app, "router", None)
    routes = getattr(router, "routes", None)
    return routes if isinstance(routes, list) else None
