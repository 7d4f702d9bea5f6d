"""Named regressions: the route check agrees with the router for every route kind (in-process, exact scopes)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Tuple

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from fastapi_maintenance import MaintenanceModeMiddleware, force_maintenance_mode_off
from tests.routes.asgi_calls import call, http_scope, websocket_scope
from tests.routes.served_routes import build_app, no_catch_all

pytestmark = pytest.mark.anyio

ON = {"enable_maintenance": True}

#: (path as sent, endpoint the router picks) for paths maintenance must close.
CLOSED_WHILE_ON: List[Tuple[str, str]] = [
    ("/files/report.pdf", "files"),
    ("/files/2024/report.pdf", "files"),
    ("/files/report.pdf/", "files"),
    ("/files//report.pdf", "files"),
    ("/files/report.pdf%2F", "files"),
    ("/files/../report.pdf", "files"),
    ("/app/settings", "spa"),
    ("/api/users/7", "user"),
    ("/plain/x", "plain"),
    ("/sub/static/a/b.css", "sub_static"),
    ("/orders/7", "order_by_id"),
    ("/prices/1.5", "price"),
    ("/tokens/0b6f2c1e-9f5a-4c8e-8d2a-3a1f5b7c9d0e", "token"),
    ("/archive/2024", "archive"),
]

#: Paths the router sends to a route forced off (served during maintenance).
OPEN_WHILE_ON: List[Tuple[str, str]] = [
    ("/orders/abc", "order_by_slug"),
    ("/prices/cheap", "price_label"),
    ("/tokens/not-a-uuid", "token_other"),
    ("/archive/24", "archive_name"),
    ("/api/users/7/avatar", "avatar"),
    ("/sub/status", "sub_status"),
]


async def test_the_router_picks_these_endpoints_when_maintenance_is_off() -> None:
    """The premise of the tables above, asked of the router itself (maintenance off)."""
    app = build_app(enable_maintenance=False)
    for path, endpoint in CLOSED_WHILE_ON + OPEN_WHILE_ON:
        outcome = await call(app, http_scope(path))
        assert (outcome.status, outcome.endpoint) == (200, endpoint), path


@pytest.mark.parametrize(("path", "endpoint"), CLOSED_WHILE_ON)
async def test_maintenance_closes_every_path_the_router_serves(path: str, endpoint: str) -> None:
    outcome = await call(build_app(**ON), http_scope(path))
    assert (outcome.status, outcome.endpoint) == (503, None), (path, endpoint, outcome.body)


@pytest.mark.parametrize(("path", "endpoint"), OPEN_WHILE_ON)
async def test_convertors_are_not_widened_routes_forced_off_stay_open(path: str, endpoint: str) -> None:
    outcome = await call(build_app(**ON), http_scope(path))
    assert (outcome.status, outcome.endpoint) == (200, endpoint), path


async def test_root_path_apps() -> None:
    app = build_app(**ON)  # served under /proxy, as uvicorn --root-path /proxy sends it
    for path in ("/files/2024/report.pdf", "/files//x", "/api/users/7", "/sub/static/a/b"):
        outcome = await call(app, http_scope(path, root_path="/proxy"))
        assert (outcome.status, outcome.endpoint) == (503, None), path
    outcome = await call(app, http_scope("/orders/abc", root_path="/proxy"))
    assert (outcome.status, outcome.endpoint) == (200, "order_by_slug")


async def test_routes_behind_a_host_carry_their_marks() -> None:
    on, off = build_app(**ON), build_app(enable_maintenance=False)
    panel = await call(on, http_scope("/panel", host="admin.example.com"))
    assert (panel.status, panel.endpoint) == (200, "host_panel")
    reset = await call(off, http_scope("/reset", host="admin.example.com"))
    assert (reset.status, reset.endpoint) == (503, None), "forced on behind a Host, maintenance off"
    # Another host: the Host route does not match; the catch-all serves (and is closed while on).
    other = await call(on, http_scope("/panel", host="www.example.com"))
    assert (other.status, other.endpoint) == (503, None)


async def test_maintenance_paths_and_forced_on_path_routes_are_not_bypassed() -> None:
    app = build_app(enable_maintenance=False, maintenance_paths=["/exports/**"])
    for path in ("/exports/a", "/exports/2024/a.csv", "/exports/a/", "/exports//a", "/exports/a%2F"):
        outcome = await call(app, http_scope(path))
        assert (outcome.status, outcome.endpoint) == (503, None), path
    for path in (
        "/downloads/a",
        "/downloads/2024/a.zip",
        "/downloads/a/",
        "/downloads//a",
        "/downloads/a%2F",
    ):
        outcome = await call(app, http_scope(path))
        assert (outcome.status, outcome.endpoint) == (503, None), path


async def test_websocket_routes_are_closed() -> None:
    app = build_app(**ON)
    for path in ("/ws/lobby", "/ws/a/b", "/ws/a/", "/live/news"):
        outcome = await call(app, websocket_scope(path))
        assert outcome.endpoint is None, path
        assert outcome.status == 1013, (path, outcome.messages)
    served = await call(build_app(enable_maintenance=False), websocket_scope("/ws/a/b"))
    assert served.endpoint == "socket"


async def test_unknown_paths_keep_the_routers_answer() -> None:
    app = no_catch_all(build_app(**ON))
    assert (await call(app, http_scope("/nowhere"))).status == 404
    assert (await call(app, http_scope("/orders/7", method="DELETE"))).status == 405
    assert (await call(app, http_scope("/sub/nowhere"))).status == 404
    socket = await call(app, websocket_scope("/nowhere"))
    assert socket.endpoint is None
    assert socket.status == 1000, "the router's own close"


async def test_a_trailing_slash_redirect_is_the_routers_answer() -> None:
    """No endpoint runs for a redirect; it is kept, and the redirected request meets maintenance."""
    app = no_catch_all(build_app(**ON))
    redirect = await call(app, http_scope("/plain/x/"))
    assert redirect.status == 307
    assert redirect.endpoint is None
    headers = dict(redirect.messages[0]["headers"])
    assert headers[b"location"] == b"http://testserver/plain/x"
    assert (await call(app, http_scope("/plain/x"))).status == 503
    # To a route forced off: the redirect, then the route, both served as when maintenance is off.
    slash = await call(app, http_scope("/api/users/7/avatar/"))
    assert slash.status == 307
    assert (await call(app, http_scope("/api/users/7/avatar"))).endpoint == "avatar"


async def test_exempt_paths_work_on_path_routes_but_not_on_forced_on_ones() -> None:
    app = build_app(enable_maintenance=True, exempt_paths=["/files/**", "/downloads/**"])
    for path in ("/files/a", "/files/2024/a", "/files//a", "/files/a%2F"):
        outcome = await call(app, http_scope(path))
        assert outcome.endpoint == "files", path
    assert (await call(app, http_scope("/downloads/a/b"))).status == 503


class _CustomRoute(BaseRoute):
    """A route kind the table cannot see into: serves everything under /custom."""

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        path = scope.get("path", "")
        return (
            (Match.FULL, {}) if scope["type"] == "http" and path.startswith("/custom") else (Match.NONE, {})
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("ran:custom")(scope, receive, send)


class _BrokenRoute(BaseRoute):
    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        raise RuntimeError("matching failed")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        await PlainTextResponse("ran:broken")(scope, receive, send)


async def test_a_custom_route_kind_fails_closed_even_under_exempt_paths() -> None:
    app = no_catch_all(build_app(enable_maintenance=True, exempt_paths=["/custom/**"]))
    app.router.routes.insert(0, _CustomRoute())
    outcome = await call(app, http_scope("/custom/x"))
    assert (outcome.status, outcome.endpoint) == (503, None)
    # Where the custom route answers "no match", the rest of the table decides as usual.
    assert (await call(app, http_scope("/orders/abc"))).endpoint == "order_by_slug"
    assert (await call(app, http_scope("/nowhere"))).status == 404


async def test_an_exception_while_matching_gives_the_maintenance_response() -> None:
    app = build_app(**ON)
    app.router.routes.insert(0, _BrokenRoute())
    outcome = await call(app, http_scope("/nowhere"))
    assert outcome.status == 503


async def test_a_router_default_app_counts_as_reached() -> None:
    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("ran:fallback")(scope, receive, send)

    app = Starlette(routes=[Route("/a", lambda request: PlainTextResponse("ran:a"))])
    app.router.default = fallback
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)
    outcome = await call(app, http_scope("/anything"))
    assert (outcome.status, outcome.endpoint) == (503, None)


async def test_routes_added_after_start_up_inside_mounts_and_included_routers() -> None:
    app = no_catch_all(build_app(**ON))
    assert (await call(app, http_scope("/sub/late"))).status == 404

    mount = next(route for route in app.router.routes if getattr(route, "path", "") == "/sub")
    sub_app: Starlette = mount.app  # type: ignore[attr-defined]

    async def late(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ran:late")

    @force_maintenance_mode_off
    async def late_open(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ran:late_open")

    sub_app.router.routes.append(Route("/late", late))
    sub_app.router.routes.append(Route("/late-open", late_open))
    assert (await call(app, http_scope("/sub/late"))).status == 503
    assert (await call(app, http_scope("/sub/late-open"))).endpoint == "late_open"
    # FastAPI >= 0.16x serves routes added to an included router later; older versions copied them.
    users = (
        next(
            route.original_router  # type: ignore[attr-defined]
            for route in app.router.routes
            if getattr(getattr(route, "original_router", None), "prefix", None) == "/api/users"
        )
        if any(hasattr(route, "original_router") for route in app.router.routes)
        else None
    )
    if users is not None:

        @users.get("/{uid}/late")  # type: ignore[untyped-decorator]
        def user_late(uid: str) -> PlainTextResponse:
            return PlainTextResponse("ran:user_late")

        assert (await call(app, http_scope("/api/users/7/late"))).status == 503


async def test_a_middleware_wrapped_directly_around_a_starlette_app_sees_its_router() -> None:
    inner = FastAPI()

    @inner.get("/open/{p:path}")
    @force_maintenance_mode_off
    def opened(p: str) -> PlainTextResponse:
        return PlainTextResponse("ran:open")

    app = MaintenanceModeMiddleware(app=inner, enable_maintenance=True)
    assert (await call(app, http_scope("/open/a/b"))).endpoint == "open"
    assert (await call(app, http_scope("/nowhere"))).status == 404


async def test_no_router_is_logged_once_at_info(caplog: pytest.LogCaptureFixture) -> None:
    async def plain_asgi(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("ran:plain")(scope, receive, send)

    app = MaintenanceModeMiddleware(plain_asgi, enable_maintenance=True, exempt_paths=["/health"])
    with caplog.at_level(logging.INFO, logger="fastapi_maintenance"):
        assert (await call(app, http_scope("/x"))).status == 503
        assert (await call(app, http_scope("/health"))).endpoint == "plain"
    messages = [record for record in caplog.records if "no Starlette router" in record.getMessage()]
    assert [record.levelno for record in messages] == [logging.INFO]


async def test_fastapi_frontend_routes_are_tried_after_the_rest(tmp_path: Path) -> None:
    """FastAPI's frontend routes (where it has them) answer what no other route does: not a 404 to keep."""
    app = FastAPI()
    if not hasattr(app, "frontend"):
        pytest.skip("this FastAPI has no frontend routes")
    (tmp_path / "index.html").write_text("<p>ran:frontend</p>", encoding="utf-8")
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)

    @app.get("/api/ping")
    @force_maintenance_mode_off
    def ping() -> PlainTextResponse:
        return PlainTextResponse("ran:ping")

    app.frontend("/app", directory=tmp_path)
    inner = FastAPI()
    inner.frontend("/app", directory=tmp_path)
    page = http_scope("/app/settings")
    page["headers"].append((b"accept", b"text/html"))  # a browser navigation gets the SPA's index.html
    for scope in (http_scope("/app/index.html"), page):
        served = await call(inner, scope)
        assert "ran:frontend" in served.body, "the premise: the frontend serves it without the middleware"
        outcome = await call(app, scope)
        assert (outcome.status, "ran:frontend" in outcome.body) == (503, False)
    assert (await call(app, http_scope("/api/ping"))).endpoint == "ping"
    assert (await call(app, http_scope("/elsewhere"))).status == 404
