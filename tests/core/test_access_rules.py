"""Operator access through the real middleware: allowed IPs behind proxies, bypass secret, windows, read-only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.middleware.cors import CORSMiddleware

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    force_maintenance_mode_on,
)
from fastapi_maintenance.backends import MemoryBackend
from tests.support.asgi import client_for as client
from tests.support.asgi import drive_websocket, websocket_scope

SECRET = "correct-horse-battery-staple"
BODY = {"detail": "Service temporarily unavailable due to maintenance"}


def build_app(**middleware: Any) -> FastAPI:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, **middleware)

    @app.get("/orders")
    async def orders(page: int = 1) -> Dict[str, int]:
        return {"page": page}

    @app.post("/orders")
    async def create_order() -> Dict[str, bool]:
        return {"created": True}

    return app


@pytest.mark.anyio
async def test_allowed_ips_and_cidr_ranges() -> None:
    app = build_app(enable_maintenance=True, allowed_ips=["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"])
    for peer, expected in [
        ("203.0.113.7", 200),
        ("10.20.30.40", 200),
        ("2001:db8::1", 200),
        ("203.0.113.8", 503),
        ("127.0.0.1", 503),
    ]:
        async with client(app, peer) as http:
            assert (await http.get("/orders")).status_code == expected, peer


@pytest.mark.anyio
async def test_forwarded_for_through_a_trusted_proxy_is_honoured() -> None:
    app = build_app(
        enable_maintenance=True, allowed_ips=["203.0.113.7"], trusted_proxies=["127.0.0.1", "10.0.0.0/8"]
    )
    async with client(app, "127.0.0.1") as http:
        assert (await http.get("/orders", headers={"X-Forwarded-For": "203.0.113.7"})).status_code == 200
        # Walks right to left past trusted proxies: the client is the first untrusted hop.
        chain = "203.0.113.7, 10.1.1.1"
        assert (await http.get("/orders", headers={"X-Forwarded-For": chain})).status_code == 200
        spoofed = "203.0.113.7, 198.51.100.1"
        assert (await http.get("/orders", headers={"X-Forwarded-For": spoofed})).status_code == 503
        rfc7239 = 'for="[2001:db8::5]:443", for=203.0.113.7'
        assert (
            await http.get("/orders", headers={"Forwarded": rfc7239})
        ).status_code == 503  # not the header


@pytest.mark.anyio
async def test_only_the_named_forwarded_header_is_believed() -> None:
    """A proxy that writes Forwarded and passes a client's X-Forwarded-For through: the forgery is ignored."""
    app = build_app(
        enable_maintenance=True,
        allowed_ips=["203.0.113.7"],
        trusted_proxies=["127.0.0.1"],
        forwarded_header="Forwarded",
    )
    async with client(app, "127.0.0.1") as http:
        forged = {"X-Forwarded-For": "203.0.113.7", "Forwarded": "for=198.51.100.1"}
        assert (await http.get("/orders", headers=forged)).status_code == 503
        rfc7239 = 'for="[2001:db8::5]:443", for=203.0.113.7'
        assert (await http.get("/orders", headers={"Forwarded": rfc7239})).status_code == 200


@pytest.mark.anyio
async def test_bypass_link_sets_a_cookie_that_exempts_its_holder() -> None:
    app = build_app(enable_maintenance=True, bypass={"secret": SECRET})
    async with client(app) as http:
        link = await http.get(f"/orders?page=2&maintenance_bypass={SECRET}")
        assert link.status_code == 307
        assert link.headers["location"] == "/orders?page=2"
        assert link.headers["cache-control"] == "no-store"
        cookie_header = link.headers["set-cookie"]
        assert SECRET not in cookie_header
        assert "HttpOnly" in cookie_header
        assert "SameSite=Lax" in cookie_header
        assert "Max-Age=43200" in cookie_header
        assert "Secure" not in cookie_header
        cookie = cookie_header.split(";", 1)[0]
        http.cookies.clear()
        assert (await http.get("/orders?page=2")).status_code == 503
        followed = await http.get("/orders?page=2", headers={"Cookie": cookie})
        assert followed.status_code == 200
        assert followed.json() == {"page": 2}
        assert (
            await http.get("/orders", headers={"Cookie": "fastapi_maintenance_bypass=forged"})
        ).status_code == 503
    async with client(app, base_url="https://testserver") as http:
        secure = await http.get(f"/orders?maintenance_bypass={SECRET}")
        assert "Secure" in secure.headers["set-cookie"]


@pytest.mark.anyio
async def test_bypass_header_wrong_secret_and_other_parameter_names() -> None:
    app = build_app(enable_maintenance=True, bypass={"secret": SECRET, "param": "letmein"})
    async with client(app) as http:
        assert (await http.get("/orders", headers={"X-Maintenance-Bypass": SECRET})).status_code == 200
        assert (await http.get("/orders", headers={"X-Maintenance-Bypass": SECRET + "x"})).status_code == 503
        assert (await http.get(f"/orders?maintenance_bypass={SECRET}")).status_code == 503
        assert (await http.get("/orders?letmein=wrong")).status_code == 503
        assert (await http.get(f"/orders?letmein={SECRET}")).status_code == 307
        # httpx keeps the cookie it was given: the next plain request is exempt.
        assert (await http.get("/orders")).status_code == 200


@pytest.mark.anyio
async def test_changing_the_secret_invalidates_cookies_and_expiry_is_enforced() -> None:
    now = [1_900_000_000.0]
    old = build_app(enable_maintenance=True, bypass={"secret": SECRET, "max_age": 60}, clock=lambda: now[0])
    async with client(old) as http:
        cookie = (await http.get(f"/orders?maintenance_bypass={SECRET}")).headers["set-cookie"].split(";")[0]
        http.cookies.clear()
        assert (await http.get("/orders", headers={"Cookie": cookie})).status_code == 200
        now[0] += 61
        assert (await http.get("/orders", headers={"Cookie": cookie})).status_code == 503
    now[0] -= 61
    new = build_app(enable_maintenance=True, bypass={"secret": SECRET + "-rotated"}, clock=lambda: now[0])
    async with client(new) as http:
        assert (await http.get("/orders", headers={"Cookie": cookie})).status_code == 503


@pytest.mark.anyio
async def test_the_secret_is_never_echoed_or_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = build_app(enable_maintenance=True, bypass={"secret": SECRET})
    async with client(app) as http:
        response = await http.get("/orders?maintenance_bypass=nope")
        await http.get(f"/orders?maintenance_bypass={SECRET}")
    assert SECRET not in response.text
    assert SECRET not in caplog.text
    assert SECRET not in repr(find_settings(app))


def find_settings(app: FastAPI) -> Any:
    from tests.support.asgi import find_middleware

    return find_middleware(app).settings


@pytest.mark.anyio
async def test_windows_switch_maintenance_on_and_count_down() -> None:
    start = datetime(2031, 1, 2, 3, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    end = start + timedelta(hours=2)
    now = [start.timestamp() - 1]
    app = build_app(
        backend=MemoryBackend(),
        windows=[{"start": start.isoformat(), "end": end.isoformat(), "message": "Database upgrade"}],
        clock=lambda: now[0],
    )
    async with client(app) as http:
        assert (await http.get("/orders")).status_code == 200
        now[0] = start.timestamp()
        at_start = await http.get("/orders")
        assert at_start.status_code == 503
        assert at_start.json() == {"detail": "Database upgrade", "until": "2031-01-01T23:30:00+00:00"}
        assert at_start.headers["retry-after"] == "7200"
        now[0] = start.timestamp() + 1
        assert (await http.get("/orders")).headers["retry-after"] == "7199"
        now[0] = end.timestamp() - 1
        assert (await http.get("/orders")).headers["retry-after"] == "1"
        now[0] = end.timestamp()
        assert (await http.get("/orders")).status_code == 200
        now[0] = end.timestamp() + 1
        assert (await http.get("/orders")).status_code == 200


@pytest.mark.anyio
async def test_read_only_blocks_only_unsafe_methods() -> None:
    app = build_app(backend=MemoryBackend(True), read_only=True)

    @app.post("/always-down")
    @force_maintenance_mode_on
    async def always_down() -> str:
        return "never"

    async with client(app) as http:
        assert (await http.get("/orders")).status_code == 200
        assert (await http.post("/orders")).status_code == 503
        assert (await http.options("/orders")).status_code == 405, "OPTIONS reaches the app (no route: 405)"
        assert (await http.post("/always-down")).status_code == 503


@pytest.mark.anyio
async def test_cors_preflight_passes_and_the_503_carries_cors_headers() -> None:
    app = build_app(enable_maintenance=True)
    app.add_middleware(CORSMiddleware, allow_origins=["https://shop.example"], allow_methods=["*"])
    headers = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    async with client(app) as http:
        preflight = await http.options("/orders", headers=headers)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
        actual = await http.post("/orders", headers={"Origin": "https://shop.example"})
        assert actual.status_code == 503
        assert actual.headers["access-control-allow-origin"] == "https://shop.example"


@pytest.mark.anyio
async def test_preflight_is_exempt_even_when_maintenance_sits_outside_cors() -> None:
    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"])
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True)

    @app.post("/orders")
    async def create_order() -> str:
        return "created"

    headers = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
    async with client(app) as http:
        assert (await http.options("/orders", headers=headers)).status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize(("peer", "accepted"), [("203.0.113.7", True), ("198.51.100.1", False)])
async def test_websockets_follow_the_ip_allow_list(peer: str, accepted: bool) -> None:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, enable_maintenance=True, allowed_ips=["203.0.113.7"])

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("in")
        await websocket.close()

    scope = websocket_scope(client=(peer, 5000), extensions={"websocket.http.response": {}})
    sent = await drive_websocket(app, scope)
    if accepted:
        assert [message["type"] for message in sent] == [
            "websocket.accept",
            "websocket.send",
            "websocket.close",
        ]
    else:
        assert sent[0]["type"] == "websocket.http.response.start"
        assert sent[0]["status"] == 503


@pytest.mark.anyio
@pytest.mark.parametrize(("read_only", "expected"), [(False, 503), (True, 200)])
async def test_head_follows_the_route(read_only: bool, expected: int) -> None:
    """HEAD is treated like GET where the route answers HEAD; FastAPI's GET routes do not, so their 405 stays."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse("home")

    starlette_app = Starlette(routes=[Route("/", home)])
    starlette_app.add_middleware(MaintenanceModeMiddleware, backend=MemoryBackend(True), read_only=read_only)
    fastapi_app = build_app(backend=MemoryBackend(True), read_only=read_only)
    async with client(starlette_app) as http:
        assert (await http.head("/")).status_code == expected
    async with client(fastapi_app) as http:
        assert (await http.head("/orders")).status_code == 405
