"""Which route a request reaches, and that route's forced mark, compiled once from the app's router.

The router tree (mounted sub-apps, FastAPI's included routers) is flattened
into leaves in dispatch order: a path regex, the methods, the scope type and
the endpoint's mark. A request reaches the first leaf that matches fully
(path and method), as the router would dispatch it. To avoid trying every
leaf, leaves are bucketed by their first path segment: a request only tries
the leaves whose first segment is its own or a parameter.
"""

from __future__ import annotations

from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Optional,
    Pattern,
    Sequence,
    Set,
    Tuple,
)

from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute, compile_path
from starlette.types import Scope

from .decorators import forced_mark


def _route_context_walker() -> Optional[Callable[[Sequence[BaseRoute]], Iterable[Any]]]:
    """FastAPI >= 0.16x keeps included routers as nodes; its walker yields them with their full paths.

    Imported when a route table is built, not at package import (the CLI never needs FastAPI).
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI flattens routers itself; plain Starlette apps
        return None
    return iter_route_contexts


class _Leaf:
    """One dispatch target: what a request must look like to reach it, and its mark."""

    __slots__ = ("mark", "methods", "opaque", "regex", "scope_type")

    def __init__(
        self,
        regex: Optional[Pattern[str]],
        methods: Optional[FrozenSet[str]],
        scope_type: Optional[str],
        mark: Optional[bool],
        opaque: Optional[BaseRoute] = None,
    ) -> None:
        self.regex = regex
        self.methods = methods
        self.scope_type = scope_type
        self.mark = mark
        self.opaque = opaque

    def reached_by(self, scope: Scope, scope_type: str, route_path: str) -> bool:
        if self.opaque is not None:
            # A route kind we cannot see into (Host, custom): ask it, on a copy of the scope.
            return self.opaque.matches(dict(scope))[0] is Match.FULL
        if self.scope_type is not None and self.scope_type != scope_type:
            return False
        assert self.regex is not None
        if self.regex.match(route_path) is None:
            return False
        return self.methods is None or scope_type != "http" or scope.get("method") in self.methods


def _expanded(routes: Sequence[BaseRoute]) -> Iterator[Tuple[BaseRoute, Any]]:
    """(original route, object carrying its effective path/methods/endpoint), in dispatch order."""
    walker = _route_context_walker()
    if walker is None:
        for route in routes:
            yield route, route
        return
    for context in walker(routes):
        yield context.original_route, context


def _flatten(routes: Sequence[BaseRoute], prefix: str) -> Iterator[Tuple[str, _Leaf]]:
    """(path format, leaf) for every dispatch target below ``routes``."""
    for original, effective in _expanded(routes):
        if isinstance(original, Mount):
            mount_path = prefix + str(getattr(effective, "path", original.path))
            children = list(getattr(original, "routes", None) or [])
            if children:
                yield from _flatten(children, mount_path)
            else:
                path_format = mount_path + "/{path:path}"
                yield path_format, _Leaf(compile_path(path_format)[0], None, None, None)
        elif isinstance(original, (Route, WebSocketRoute)):
            path_format = prefix + str(getattr(effective, "path_format", None) or original.path_format)
            methods = getattr(effective, "methods", None)
            scope_type = "websocket" if isinstance(original, WebSocketRoute) else "http"
            leaf = _Leaf(
                compile_path(path_format)[0],
                frozenset(methods) if methods else None,
                scope_type,
                forced_mark(getattr(effective, "endpoint", None)),
            )
            yield path_format, leaf
        elif not prefix:
            yield "{opaque}", _Leaf(None, None, None, None, opaque=original)
        else:
            # Unknown route kind inside a mount: count the whole mount as reachable.
            path_format = prefix + "/{path:path}"
            yield path_format, _Leaf(compile_path(path_format)[0], None, None, None)


def _nested_route_lists(routes: Sequence[BaseRoute], seen: Set[int]) -> Iterator[List[BaseRoute]]:
    """Every live route list below ``routes`` (included routers, mounted routers), which may grow later."""
    for route in routes:
        # FastAPI >= 0.16x keeps an included router as a node pointing at the router itself, so a
        # route added to that router after include_router() is served; a Mount lists its app's routes.
        original = getattr(route, "original_router", None)
        nested = getattr(original, "routes", None) if original is not None else None
        if nested is None and isinstance(route, Mount):
            nested = route.routes
        if isinstance(nested, list) and id(nested) not in seen:
            seen.add(id(nested))
            yield nested
            yield from _nested_route_lists(nested, seen)


def _first_segment(path_format: str) -> Optional[str]:
    """The literal first segment of a path, or None when it may vary (a parameter)."""
    segment = path_format.lstrip("/").split("/", 1)[0]
    return None if "{" in segment else segment


def _request_segment(route_path: str) -> str:
    stripped = route_path[1:] if route_path.startswith("/") else route_path
    slash = stripped.find("/")
    return stripped if slash < 0 else stripped[:slash]


class RouteTable:
    """A snapshot of a router's routes, flattened and indexed by first path segment."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.size = len(routes)
        self._watched = tuple((nested, len(nested)) for nested in _nested_route_lists(routes, {id(routes)}))
        keyed: List[Tuple[Optional[str], _Leaf]] = [
            (_first_segment(path_format), leaf) for path_format, leaf in _flatten(routes, "")
        ]
        self._wildcard = [leaf for key, leaf in keyed if key is None]
        self._buckets: Dict[str, List[_Leaf]] = {
            key: [leaf for leaf_key, leaf in keyed if leaf_key in (key, None)]
            for key in {key for key, _ in keyed if key is not None}
        }
        forced_on = [leaf for _, leaf in keyed if leaf.mark is True]
        self.has_forced_on = bool(forced_on)
        self._forced_on_regexes = tuple(leaf.regex for leaf in forced_on if leaf.regex is not None)

    def is_stale(self) -> bool:
        """Whether a nested router or mount gained or lost routes since this snapshot (the top level is the caller's)."""
        # A plain loop, not any(...): the generator cost 2 % of a maintenance response (measured).
        for nested, size in self._watched:  # noqa: SIM110
            if len(nested) != size:
                return True
        return False

    def lookup(self, scope: Scope, route_path: str) -> Tuple[bool, Optional[bool]]:
        """(found, mark) for the route the router would dispatch this request to."""
        scope_type = scope["type"]
        for leaf in self._buckets.get(_request_segment(route_path), self._wildcard):
            if leaf.reached_by(scope, scope_type, route_path):
                return True, leaf.mark
        return False, None

    def may_be_forced_on(self, route_path: str) -> bool:
        """Cheap pre-check: could this path reach a forced-on route at all?"""
        return any(regex.match(route_path) for regex in self._forced_on_regexes)


def routes_of(app: Any) -> Optional[List[BaseRoute]]:
    """The route list of a Starlette/FastAPI app (``scope["app"]``), or None for a plain ASGI app."""
    router = getattr(app, "router", None)
    routes = getattr(router, "routes", None)
    return routes if isinstance(routes, list) else None
