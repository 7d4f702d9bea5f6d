"""Differential property test: the middleware against the router, observed from outside.

Hypothesis builds route tables of every kind (Starlette and FastAPI routes with every convertor,
websocket routes, FastAPI's included routers, mounts with routes or a sub-app, hosts, a custom
route kind, a FastAPI route class with its own case-blind ``matches``), marks some endpoints with the decorators, picks ``exempt_paths`` and
``maintenance_paths`` globs, and sends awkward requests (extra, empty and dot segments, trailing
slashes, ``%2F``, other methods and hosts, websockets, a proxy ``root_path``). The oracle is the same
app entered below the middleware: which endpoint the router runs, seen from its response. Then, through
the real middleware with its backend switched:

- maintenance on: an endpoint runs only if its route is exempt; a request the router answers itself
  (404, 405, redirect) keeps that answer or gets the 503, and runs nothing;
- maintenance off: only routes forced on and maintenance paths are blocked.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import anyio
import fastapi.routing
from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, Host, Match, Mount, Route, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket as StarletteWebSocket

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    force_maintenance_mode_off,
    force_maintenance_mode_on,
)
from fastapi_maintenance.backends import MemoryBackend
from fastapi_maintenance.settings import compile_path_globs
from tests.routes.asgi_calls import Outcome, call, http_scope, websocket_scope
from tests.routes.served_routes import YearConvertor  # importing registers the "year" convertor
from tests.support.asgi import find_middleware

assert YearConvertor.regex == "[0-9]{4}"  # registered as "year", part of the alphabet below

LITERALS = ("a", "b", "c")
CONVERTORS = ("str", "path", "int", "float", "uuid", "year")
HOSTS = ("testserver", "api.example.com")
GLOBS = ("/a/**", "/b/*", "/*/c", "/a", "/**/b", "/c*")
REQUEST_SEGMENTS = (
    "a", "b", "c", "x", "", ".", "..", "7", "2024", "1.5", "-3",
    "0b6f2c1e-9f5a-4c8e-8d2a-3a1f5b7c9d0e", "a%2Fb", "%2F", "c%2F..",
)  # fmt: skip

Mark = Optional[bool]


@dataclass
class Leaf:
    kind: str  # "route" (Starlette), "api" (FastAPI), "caseless" (FastAPI, own matches), "ws", "custom"
    segments: Tuple[str, ...]  # literals, or ":convertor" for a parameter
    methods: Tuple[str, ...]
    mark: Mark
    trailing_slash: bool


@dataclass
class Group:
    kind: str  # "router" (FastAPI include_router), "mount" (routes), "subapp" (mounted Starlette), "host"
    prefix: Tuple[str, ...]
    host: str
    children: List[Union[Leaf, Group]] = field(default_factory=list)


Node = Union[Leaf, Group]

segment = st.one_of(
    st.sampled_from(LITERALS), st.sampled_from((*CONVERTORS, "path", "str")).map(lambda name: ":" + name)
)
leaf = st.builds(
    Leaf,
    kind=st.sampled_from(("route", "api", "api", "caseless", "ws", "custom")),
    segments=st.lists(segment, min_size=0, max_size=3).map(tuple),
    methods=st.sampled_from((("GET",), ("POST",), ("GET", "POST"))),
    mark=st.sampled_from((None, True, False)),
    trailing_slash=st.booleans(),
)


def groups(children: st.SearchStrategy[List[Node]]) -> st.SearchStrategy[Node]:
    return st.builds(
        Group,
        kind=st.sampled_from(("router", "mount", "subapp", "host")),
        prefix=st.lists(st.one_of(st.sampled_from(LITERALS), st.just(":str")), min_size=1, max_size=2).map(
            tuple
        ),
        host=st.sampled_from(HOSTS[1:]),
        children=children,
    )


tables = st.recursive(
    st.lists(leaf, min_size=1, max_size=5),
    lambda children: st.lists(st.one_of(leaf, groups(children)), min_size=1, max_size=5),
    max_leaves=12,
)


@dataclass(frozen=True)
class Probe:
    segments: Tuple[str, ...]
    trailing_slash: bool
    method: str
    host: str
    websocket: bool
    root_path: str

    def scope(self) -> Dict[str, Any]:
        raw = "/" + "/".join(self.segments) + ("/" if self.trailing_slash and self.segments else "")
        if self.websocket:
            return websocket_scope(raw, host=self.host, root_path=self.root_path)
        return http_scope(raw, method=self.method, host=self.host, root_path=self.root_path)


#: FastAPI >= 0.16x keeps included routers as nodes; older versions copy their routes at include_router.
KEEPS_INCLUDED_ROUTERS = hasattr(fastapi.routing, "iter_route_contexts")


class _CustomRoute(BaseRoute):
    """A route kind the table cannot see into: its own prefix match, its own endpoint."""

    def __init__(self, prefix: str, endpoint: Callable[..., Any]) -> None:
        self.prefix = prefix
        self.path = (
            prefix  # older FastAPI's include_router reads every route's path (then leaves this kind out)
        )
        self.endpoint = endpoint

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        if scope["type"] == "http" and get_route_path(scope).startswith(self.prefix):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)


class _CaselessRoute(APIRoute):
    """A FastAPI route class whose own ``matches`` ignores the case of the path, as FastAPI lets one write."""

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        return super().matches({**scope, "path": scope["path"].lower()})


class Builder:
    """Turns a generated table into real routes; remembers each endpoint's mark and kind by name."""

    def __init__(self) -> None:
        self.names = itertools.count()
        self.params = itertools.count()
        self.marks: Dict[str, Mark] = {}
        self.opaque: Dict[str, bool] = {}

    def path(self, segments: Tuple[str, ...], trailing_slash: bool = False) -> str:
        parts = [
            f"{{p{next(self.params)}:{item[1:]}}}" if item.startswith(":") else item for item in segments
        ]
        text = "/" + "/".join(parts)
        return text + "/" if trailing_slash and parts else text

    def _name(self, node: Leaf) -> str:
        name = f"e{next(self.names)}"
        self.marks[name] = None if node.kind == "custom" else node.mark
        self.opaque[name] = node.kind == "custom"
        return name

    def _mark(self, function: Any, mark: Mark) -> Any:
        if mark is True:
            return force_maintenance_mode_on(function)
        if mark is False:
            return force_maintenance_mode_off(function)
        return function

    def starlette_routes(self, nodes: List[Node]) -> List[BaseRoute]:
        routes: List[BaseRoute] = []
        for node in nodes:
            if isinstance(node, Group):
                routes.append(self.group(node))
                continue
            name = self._name(node)
            path = self.path(node.segments, node.trailing_slash)
            if node.kind == "ws":
                routes.append(WebSocketRoute(path, self._mark(_socket(name), node.mark)))
            elif node.kind == "custom":
                routes.append(_CustomRoute(_custom_prefix(node), _text_endpoint(name)))
            else:
                routes.append(
                    Route(path, self._mark(_text_endpoint(name), node.mark), methods=list(node.methods))
                )
        return routes

    def api_router(self, router: APIRouter, nodes: List[Node]) -> None:
        for node in nodes:
            if isinstance(node, Group):
                if node.kind == "router":
                    child = APIRouter(prefix=self.path(node.prefix))
                    self.api_router(child, node.children)
                    router.include_router(child)
                elif node.kind != "host" or KEEPS_INCLUDED_ROUTERS:
                    # FastAPI before included-router nodes copies routes at include_router and reads
                    # every route's path there: a Host (which has none) cannot be included at all.
                    router.routes.append(self.group(node))
                continue
            name = self._name(node)
            path = self.path(node.segments, node.trailing_slash)
            if node.kind == "ws":
                router.add_api_websocket_route(path, self._mark(_api_socket(name), node.mark))
            elif node.kind == "custom":
                router.routes.append(_CustomRoute(_custom_prefix(node), _text_endpoint(name)))
            elif node.kind in ("api", "caseless"):
                router.add_api_route(
                    path,
                    self._mark(_api_endpoint(name), node.mark),
                    methods=list(node.methods),
                    route_class_override=_CaselessRoute if node.kind == "caseless" else APIRoute,
                )
            else:
                router.add_route(
                    path, self._mark(_text_endpoint(name), node.mark), methods=list(node.methods)
                )

    def group(self, node: Group) -> BaseRoute:
        prefix = self.path(node.prefix)
        if node.kind == "host":
            return Host(node.host, app=Router(routes=self.starlette_routes(node.children)))
        if node.kind == "subapp":
            return Mount(prefix, app=Starlette(routes=self.starlette_routes(node.children)))
        if node.kind == "router":
            # Outside FastAPI's include_router, an APIRouter's routes are served through a mount.
            router = APIRouter()
            self.api_router(router, node.children)
            return Mount(prefix, app=router)
        return Mount(prefix, routes=self.starlette_routes(node.children))


def _custom_prefix(node: Leaf) -> str:
    """A custom route serves everything under its literal segments (parameters left out)."""
    return "/" + "/".join(item for item in node.segments if not item.startswith(":"))


def _text_endpoint(name: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"ran:{name}")

    return endpoint


def _api_endpoint(name: str) -> Callable[[], Any]:
    async def endpoint() -> PlainTextResponse:
        return PlainTextResponse(f"ran:{name}")

    return endpoint


def _socket(name: str) -> Callable[[StarletteWebSocket], Any]:
    async def endpoint(websocket: StarletteWebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(f"ran:{name}")
        await websocket.close()

    return endpoint


def _api_socket(name: str) -> Callable[[WebSocket], Any]:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(f"ran:{name}")
        await websocket.close()

    return endpoint


def build(
    table: List[Node], exempt: List[str], maintenance: List[str]
) -> Tuple[FastAPI, MemoryBackend, Builder]:
    builder = Builder()
    backend = MemoryBackend()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(
        MaintenanceModeMiddleware, backend=backend, exempt_paths=exempt, maintenance_paths=maintenance
    )
    builder.api_router(app.router, table)
    return app, backend, builder


async def oracle(app: FastAPI, scope: Dict[str, Any]) -> Outcome:
    """The router's own answer: the app's stack below the middleware, as Starlette would call it."""
    inner = find_middleware(app).app
    return await call(inner, {**scope, "app": app})


def blocked_status(scope: Dict[str, Any]) -> int:
    return 1013 if scope["type"] == "websocket" else 503


async def check(table: List[Node], exempt: List[str], maintenance: List[str], requests: List[Probe]) -> None:
    app, backend, builder = build(table, exempt, maintenance)
    await call(app, http_scope("/"))  # builds the middleware stack
    is_exempt = compile_path_globs(exempt) or (lambda path: False)
    in_maintenance_paths = compile_path_globs(maintenance) or (lambda path: False)
    for probe in requests:
        scope = probe.scope()
        route_path = get_route_path(scope)
        expected = await oracle(app, scope)
        event(f"router: {'endpoint' if expected.endpoint else expected.status}")
        if expected.endpoint and "//" in scope["path"]:
            kind = (
                "custom" if builder.opaque[expected.endpoint] else f"mark {builder.marks[expected.endpoint]}"
            )
            event(f"an endpoint reached through an empty segment ({kind})")
        if expected.endpoint and scope["path"].endswith("/"):
            event("an endpoint reached with a trailing slash")
        for maintenance_on in (True, False):
            await backend.set_value(maintenance_on)
            seen = await call(app, scope)
            where = (probe, "on" if maintenance_on else "off", expected.status, expected.endpoint)
            if expected.endpoint is None:
                assert seen.endpoint is None, where
                assert seen.status in (expected.status, blocked_status(scope)), (where, seen.status)
                continue
            mark = builder.marks[expected.endpoint]
            if in_maintenance_paths(route_path) or mark is True:
                served = False
            elif not maintenance_on or mark is False:
                served = True
            else:
                served = not builder.opaque[expected.endpoint] and is_exempt(route_path)
            if served:
                assert (seen.endpoint, seen.status) == (expected.endpoint, expected.status), (where, seen)
            else:
                assert seen.endpoint is None, (where, seen)
                assert seen.status == blocked_status(scope), (where, seen)


def _literals(nodes: List[Node]) -> List[str]:
    found: List[str] = []
    for node in nodes:
        if isinstance(node, Group):
            found += [item for item in node.prefix if not item.startswith(":")]
            found += _literals(node.children)
        else:
            found += [item for item in node.segments if not item.startswith(":")]
    return found


def aimed_probes(table: List[Node]) -> st.SearchStrategy[Probe]:
    """Requests mixing the table's own literals with awkward segments, so they reach routes often."""
    literals = sorted(set(_literals(table)) | set(LITERALS))
    return st.builds(
        Probe,
        segments=st.lists(
            st.one_of(
                st.sampled_from(literals),
                st.sampled_from(literals).map(str.upper),  # for route classes that ignore case
                st.sampled_from(REQUEST_SEGMENTS),
                st.sampled_from(("", "%2F")),
            ),
            max_size=4,
        ).map(tuple),
        trailing_slash=st.booleans(),
        method=st.sampled_from(("GET", "POST", "DELETE")),
        host=st.sampled_from(HOSTS),
        websocket=st.sampled_from((False, False, False, True)),
        root_path=st.sampled_from(("", "", "/proxy")),
    )


def globs_for(table: List[Node]) -> st.SearchStrategy[str]:
    literals = sorted(set(_literals(table)) | set(LITERALS))
    return st.one_of(
        st.sampled_from(GLOBS),
        st.sampled_from(literals).flatmap(
            lambda literal: st.sampled_from((f"/{literal}/**", f"/{literal}*", "/**"))
        ),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables, data=st.data())
def test_the_middleware_agrees_with_the_router(table: List[Node], data: st.DataObject) -> None:
    exempt = data.draw(st.lists(globs_for(table), max_size=2, unique=True), label="exempt_paths")
    maintenance = data.draw(st.lists(globs_for(table), max_size=1, unique=True), label="maintenance_paths")
    requests = data.draw(st.lists(aimed_probes(table), min_size=4, max_size=10), label="requests")
    anyio.run(check, table, exempt, maintenance, requests)
