"""Which endpoint a request reaches and that endpoint's mark, answered by the router's own matching.

The table never rebuilds a route's regex: it walks the routes in dispatch
order and asks each one ``route.matches(scope)``, as the router does, entering
``Mount`` and ``Host`` routes with the child scope they return. An index by
first path segment only narrows which routes are asked; a route whose literal
first segment cannot be read off its own compiled regex is always asked.
A route in a FastAPI included router is asked as FastAPI asks it: an
``APIRoute`` whose class has its own ``matches`` gets the include's context in
the scope and decides itself (the include's prefixed regex is not its answer).

Fail closed: a route kind whose dispatch is not known (a custom ``BaseRoute``,
a router subclass with its own dispatch, such an ``APIRoute`` when the include's
context cannot be passed as FastAPI passes it) or an exception while matching gives
``DOUBT``, which the middleware treats as a reached, unmarked route that
``exempt_paths`` does not lift. ``NO_ROUTE`` is only given when the router
itself would run no endpoint: its 404, its 405, or its trailing-slash redirect.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Host, Match, Mount, Route, Router, WebSocketRoute
from starlette.types import Scope

from .decorators import forced_mark

#: How deep ``.app`` attributes are followed through a mounted app's middleware to find its router.
_MAX_WRAPPERS = 32
#: How deep mounts may nest before the answer counts as doubtful (a mount cycle, or a pathological tree).
_MAX_DEPTH = 64


class RouteVerdict:
    """What the router does with a request: whether an endpoint runs, its mark, whether we are sure."""

    __slots__ = ("certain", "mark", "reached")

    def __init__(self, reached: bool, mark: Optional[bool], certain: bool) -> None:
        self.reached = reached
        self.mark = mark
        self.certain = certain

    def __repr__(self) -> str:
        return f"RouteVerdict(reached={self.reached}, mark={self.mark}, certain={self.certain})"


#: The router answers itself (404, 405, trailing-slash redirect): no endpoint runs.
NO_ROUTE = RouteVerdict(False, None, True)
UNMARKED = RouteVerdict(True, None, True)
FORCED_ON = RouteVerdict(True, True, True)
FORCED_OFF = RouteVerdict(True, False, True)
#: Something runs, but what it is cannot be told: treated as an unmarked route exempt_paths cannot lift.
DOUBT = RouteVerdict(True, None, False)
_BY_MARK = {None: UNMARKED, True: FORCED_ON, False: FORCED_OFF}

# What a candidate does once the router picks it.
_ENDPOINT = 0  # Route / WebSocketRoute (and FastAPI's): runs its endpoint; PARTIAL means the router's 405
_CONTAINER = 1  # Mount / Host: passes the child scope on to its app
_OPAQUE = 2  # unknown: any match is a doubt


def _route_context_walker() -> Optional[Callable[[Sequence[BaseRoute]], Any]]:
    """FastAPI >= 0.16x keeps included routers as nodes; its walker yields their routes in dispatch order."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes into the app's list; plain Starlette
        return None
    return iter_route_contexts


def _fastapi_kinds() -> Tuple[FrozenSet[Any], FrozenSet[Any], Any, Any]:
    """FastAPI's own implementations (regex matchers, route handlers, router dispatch) and its route walker.

    Imported when a table is built, not at package import (the CLI and other frameworks never need FastAPI).
    """
    try:
        from fastapi import routing as fastapi_routing
    except ImportError:  # pragma: no cover - plain Starlette installs
        return frozenset(), frozenset(), None, None
    matchers = {fastapi_routing.APIRoute.matches, fastapi_routing.APIWebSocketRoute.matches}
    handlers = {fastapi_routing.APIRoute.handle, fastapi_routing.APIWebSocketRoute.handle}
    return (
        frozenset(matchers),
        frozenset(handlers),
        fastapi_routing.APIRouter.app,
        _route_context_walker(),
    )


_STARLETTE_MATCHERS = frozenset({Route.matches, WebSocketRoute.matches, Mount.matches})
_STARLETTE_ENDPOINT_HANDLERS = frozenset({Route.handle, WebSocketRoute.handle})
_STARLETTE_CONTAINER_HANDLERS = frozenset({Mount.handle, Host.handle})
_REGEX_SPECIALS = frozenset(".^$*+?{}[]|()")


def _literal_first_segment(pattern: str) -> Optional[str]:
    """The first path segment every match of a ``compile_path`` regex must have, or None when it varies."""
    if not pattern.startswith("^/"):
        return None
    literal: List[str] = []
    index = 2
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if index + 1 >= len(pattern) or pattern[index + 1].isalnum():
                return None  # a class such as \d or \w, not an escaped literal
            char = pattern[index + 1]
            index += 2
        elif char in _REGEX_SPECIALS:
            if char == "$" and index == len(pattern) - 1:
                return "".join(literal)  # the whole path is literal
            return None
        else:
            index += 1
        if char == "/":
            return "".join(literal)
        literal.append(char)
    return None


def _request_segment(route_path: str) -> str:
    stripped = route_path[1:] if route_path.startswith("/") else "\0" + route_path
    slash = stripped.find("/")
    return stripped if slash < 0 else stripped[:slash]


def router_of(app: Any) -> Optional[Router]:
    """The Starlette router of an app (the app itself, ``app.router``), looking through middleware ``.app``."""
    node = app
    for _ in range(_MAX_WRAPPERS):
        if node is None:
            return None
        if isinstance(node, Router):
            return node
        router = getattr(node, "router", None)
        if isinstance(router, Router):
            return router
        node = getattr(node, "app", None)
    return None


class _Candidate:
    """One route as the router sees it: its own ``matches``, what running it means, and its mark.

    For an endpoint route whose ``matches`` is Starlette's or FastAPI's own (its compiled regex on the
    route path, then the methods), ``regex``, ``methods`` and ``scope_type`` hold those same objects,
    and the table applies them directly: the answer is the same, without building the child scope.
    """

    __slots__ = ("inner", "kind", "matches", "methods", "regex", "scope_type", "verdict")

    def __init__(
        self, matches: Callable[[Scope], Tuple[Match, Scope]], kind: int, verdict: RouteVerdict, inner: Any
    ) -> None:
        self.matches = matches
        self.kind = kind
        self.verdict = verdict
        self.inner = inner
        self.regex: Optional[re.Pattern[str]] = None
        self.methods: Optional[FrozenSet[str]] = None
        self.scope_type = ""


class _Level:
    """One router's routes in dispatch order (FastAPI's included routers expanded), indexed by first segment."""

    __slots__ = ("buckets", "fallback", "forced_on", "routes", "size", "watched", "wildcard")

    def __init__(self, router: Router, kinds: Tuple[FrozenSet[Any], FrozenSet[Any], Any, Any]) -> None:
        matchers, handlers, api_router_app, walker = kinds
        self.routes = router.routes
        self.size = len(self.routes)
        self.watched = tuple((nested, len(nested)) for nested in _included_route_lists(self.routes, set()))
        keyed: List[Tuple[Optional[str], _Candidate]] = []
        for original, effective in _expanded(self.routes, walker):
            candidate = _candidate(original, effective, matchers, handlers)
            keyed.append((_index_key(effective, candidate, matchers), candidate))
        self.forced_on = any(candidate.verdict is FORCED_ON for _, candidate in keyed)
        self.wildcard = [candidate for key, candidate in keyed if key is None]
        self.buckets: Dict[str, List[_Candidate]] = {
            key: [candidate for candidate_key, candidate in keyed if candidate_key in (key, None)]
            for key in {key for key, _ in keyed if key is not None}
        }
        self.fallback = _fallback_of(router, api_router_app)

    def is_current(self, routes: List[BaseRoute]) -> bool:
        if routes is not self.routes or len(routes) != self.size:
            return False
        # A plain loop, not all(...): this runs on every maintenance-on request.
        for nested, size in self.watched:  # noqa: SIM110
            if len(nested) != size:
                return False
        return True


def _expanded(routes: Sequence[BaseRoute], walker: Any) -> List[Tuple[BaseRoute, Any]]:
    """(original route, the object the router asks) in dispatch order; FastAPI >= 0.16x nests included routers."""
    if walker is None:
        return [(route, route) for route in routes]
    return [(context.original_route, context) for context in walker(routes)]


def _included_route_lists(routes: Sequence[BaseRoute], seen: set[int]) -> List[List[BaseRoute]]:
    """The live route lists of FastAPI's included routers below ``routes`` (they may grow after start-up)."""
    found: List[List[BaseRoute]] = []
    for route in routes:
        original = getattr(route, "original_router", None)
        nested = getattr(original, "routes", None) if original is not None else None
        if isinstance(nested, list) and id(nested) not in seen:
            seen.add(id(nested))
            found.append(nested)
            found.extend(_included_route_lists(nested, seen))
    return found


def _candidate(
    original: BaseRoute, effective: Any, matchers: FrozenSet[Any], handlers: FrozenSet[Any]
) -> _Candidate:
    matches = effective.matches
    handle = getattr(type(original), "handle", None)
    if _is_included_custom_matcher(original, matches, matchers):
        # FastAPI dispatches an included APIRoute through the route's own ``matches``, with the
        # include's context in the scope; a subclass's override decides, not the context's regex.
        asked = _asking_through_context(original, getattr(matches, "__self__", None))
        if asked is None:
            return _Candidate(_matches_anything, _OPAQUE, DOUBT, None)
        matches = asked
    if isinstance(original, (Route, WebSocketRoute)) and (
        handle in _STARLETTE_ENDPOINT_HANDLERS or handle in handlers
    ):
        endpoint = getattr(original, "endpoint", None)
        candidate = _Candidate(matches, _ENDPOINT, _BY_MARK[forced_mark(endpoint)], None)
        regex = _own_path_regex(matches, matchers)
        if regex is not None:
            owner = getattr(matches, "__self__", None)
            methods = getattr(owner, "methods", None)
            candidate.regex = regex
            candidate.methods = frozenset(methods) if methods else None
            candidate.scope_type = "websocket" if isinstance(owner, WebSocketRoute) else "http"
        return candidate
    if isinstance(original, (Mount, Host)) and handle in _STARLETTE_CONTAINER_HANDLERS:
        # An included router's copy of a Mount/Host carries the prefixed path; its app is the original's.
        app = getattr(getattr(matches, "__self__", None), "app", None) or original.app
        return _Candidate(matches, _CONTAINER, UNMARKED, app)
    return _Candidate(matches, _OPAQUE, DOUBT, None)


def _is_included_custom_matcher(original: BaseRoute, matches: Any, matchers: FrozenSet[Any]) -> bool:
    """An APIRoute subclass with its own ``matches``, reached through an included router's context."""
    own = getattr(type(original), "matches", None)
    return (
        _is_route_context(getattr(matches, "__self__", None))
        and _is_api_route(original)
        and own not in matchers
        and own not in _STARLETTE_MATCHERS
    )


def _asking_through_context(
    original: BaseRoute, context: Any
) -> Optional[Callable[[Scope], Tuple[Match, Scope]]]:
    """``original.matches`` called as FastAPI's included-router dispatch calls it, or None if that is unknown."""
    try:
        from fastapi.routing import _FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY, _FASTAPI_SCOPE_KEY
    except ImportError:  # a FastAPI that passes the context some other way: fail closed
        return None
    if not isinstance(_FASTAPI_SCOPE_KEY, str) or not isinstance(_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY, str):
        return None
    own_matches = original.matches

    def matches(scope: Scope) -> Tuple[Match, Scope]:
        fastapi_scope = scope.get(_FASTAPI_SCOPE_KEY)
        fastapi_scope = dict(fastapi_scope) if isinstance(fastapi_scope, dict) else {}
        fastapi_scope[_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY] = context
        return own_matches({**scope, _FASTAPI_SCOPE_KEY: fastapi_scope})

    return matches


def _matches_anything(scope: Scope) -> Tuple[Match, Scope]:
    return Match.FULL, {}


def _is_route_context(owner: Any) -> bool:
    return type(owner).__name__ == "_EffectiveRouteContext"


def _own_path_regex(matches: Any, matchers: FrozenSet[Any]) -> Optional[re.Pattern[str]]:
    """The compiled regex a route's own ``matches`` applies to the route path, when that is all it does."""
    function = getattr(matches, "__func__", None)
    owner = getattr(matches, "__self__", None)
    if function in _STARLETTE_MATCHERS or function in matchers:
        regex = getattr(owner, "path_regex", None)
    elif _is_route_context(owner) and _is_api_route(original := getattr(owner, "original_route", None)):
        # FastAPI's included APIRoute: its own prefixed regex, unless the route class matches otherwise.
        if getattr(type(original), "matches", None) not in matchers:
            return None
        regex = getattr(owner, "path_regex", None)
    else:
        return None
    return regex if isinstance(regex, re.Pattern) else None


def _index_key(effective: Any, candidate: _Candidate, matchers: FrozenSet[Any]) -> Optional[str]:
    """The literal first segment the candidate's own regex demands, when its matching is known to use it."""
    regex = _own_path_regex(candidate.matches, matchers)
    if regex is None or regex.flags & re.IGNORECASE:
        return None
    return _literal_first_segment(regex.pattern)


def _is_api_route(route: Any) -> bool:
    try:
        from fastapi.routing import APIRoute
    except ImportError:  # pragma: no cover
        return False
    return isinstance(route, APIRoute)


def _fallback_of(router: Router, api_router_app: Any) -> Callable[[Scope], RouteVerdict]:
    """What the router does when no route matches: its 404/redirect (no endpoint), or something that runs."""
    default = router.default
    if (
        getattr(default, "__func__", None) is not Router.not_found
        or getattr(default, "__self__", None) is not router
    ):
        return lambda scope: UNMARKED  # a default app runs
    dispatch = type(router).app
    if dispatch is Router.app:
        return lambda scope: NO_ROUTE
    if dispatch is api_router_app:
        low_priority = getattr(router, "_iter_low_priority_routes", None)
        if low_priority is None:
            return lambda scope: NO_ROUTE

        def fallback(scope: Scope) -> RouteVerdict:
            # FastAPI's frontend routes are tried last; a match serves files (or its 405): count it reached.
            for route in low_priority():
                if route.matches(dict(scope))[0] is not Match.NONE:
                    return UNMARKED
            return NO_ROUTE

        return fallback
    return lambda scope: DOUBT  # a router subclass with its own dispatch


class RouteTable:
    """The router's answer for a request, from the app's routes; keeps itself current as routes are added."""

    def __init__(self, router: Optional[Router]) -> None:
        self.router = router
        self._kinds = _fastapi_kinds()
        self._levels: Dict[int, _Level] = {}
        #: Top-level route count, compared by the middleware's fast path.
        self.size = len(router.routes) if router is not None else 0
        self.has_forced_on = False
        if router is not None:
            self._survey(router, 0)

    def _survey(self, router: Router, depth: int) -> None:
        """Index every router reachable through mounts now, to know whether any route is forced on."""
        level = self._level(router)
        if depth >= _MAX_DEPTH:
            return
        for candidate in (c for bucket in [level.wildcard, *level.buckets.values()] for c in bucket):
            if candidate.kind == _CONTAINER:
                inner = router_of(candidate.inner)
                if inner is not None and id(inner.routes) not in self._levels:
                    self._survey(inner, depth + 1)

    def _level(self, router: Router) -> _Level:
        routes = router.routes
        level = self._levels.get(id(routes))
        if level is None or not level.is_current(routes):
            level = _Level(router, self._kinds)
            self._levels[id(routes)] = level
            if level.forced_on:
                self.has_forced_on = True
        return level

    def verdict(self, scope: Scope) -> RouteVerdict:
        """What the router does with this request; DOUBT on any exception while asking."""
        router = self.router
        if router is None:
            return UNMARKED  # no route table: every request reaches the app
        try:
            return self._dispatch(router, dict(scope), 0)
        except Exception:
            return DOUBT

    def _dispatch(self, router: Router, scope: Scope, depth: int) -> RouteVerdict:
        if depth > _MAX_DEPTH:
            return DOUBT
        level = self._level(router)
        route_path = get_route_path(scope)
        candidates = level.buckets.get(_request_segment(route_path), level.wildcard)
        scope_type = scope["type"]
        partial: Optional[Tuple[_Candidate, Scope]] = None
        for candidate in candidates:
            regex = candidate.regex
            if regex is not None:  # the route's own regex and methods, as its matches() applies them
                if candidate.scope_type != scope_type or regex.match(route_path) is None:
                    continue
                methods = candidate.methods
                if methods is None or scope_type != "http" or scope["method"] in methods:
                    return candidate.verdict
                if partial is None:
                    partial = (candidate, scope)
                continue
            match, child_scope = candidate.matches(scope)
            if match is Match.FULL:
                return self._enter(candidate, scope, child_scope, depth)
            if match is Match.PARTIAL and partial is None:
                partial = (candidate, child_scope)
        if partial is not None:
            candidate = partial[0]
            if candidate.kind == _ENDPOINT:
                return NO_ROUTE  # path matches, method does not: the router's 405
            return DOUBT
        return level.fallback(scope)

    def _enter(self, candidate: _Candidate, scope: Scope, child_scope: Scope, depth: int) -> RouteVerdict:
        kind = candidate.kind
        if kind == _ENDPOINT:
            return candidate.verdict
        if kind == _CONTAINER:
            inner = router_of(candidate.inner)
            if inner is None:
                return UNMARKED  # a mounted app without a router (static files, another framework)
            return self._dispatch(inner, {**scope, **child_scope}, depth + 1)
        return DOUBT
