"""Named regressions: FastAPI route classes with their own ``matches``, inside included routers.

FastAPI dispatches an included router's APIRoute through that route's own ``matches`` (with the
include's context in the scope), so an override decides what the route serves; the prefixed regex
of the include does not. The oracle in each case is the router itself, with maintenance off.
"""

from __future__ import annotations

from typing import Tuple

import fastapi.routing
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from fastapi_maintenance import MaintenanceModeMiddleware, force_maintenance_mode_off
from fastapi_maintenance.backends import MemoryBackend
from tests.routes.asgi_calls import call, http_scope

pytestmark = pytest.mark.anyio


class CaseInsensitiveRoute(APIRoute):
    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        return super().matches({**scope, "path": scope["path"].lower()})


class InternalOnlyRoute(APIRoute):
    """Serves only requests addressed to the host ``internal``."""

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        if dict(scope["headers"]).get(b"host") != b"internal":
            return Match.NONE, {}
        return super().matches(scope)


def case_insensitive_app() -> Tuple[FastAPI, MemoryBackend]:
    router = APIRouter(route_class=CaseInsensitiveRoute)

    @router.get("/reports/export")
    async def export() -> PlainTextResponse:
        return PlainTextResponse("ran:export")

    app = FastAPI()
    app.include_router(router, prefix="/api")
    backend = MemoryBackend()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend)
    return app, backend


def host_restricted_app() -> Tuple[FastAPI, MemoryBackend]:
    internal = APIRouter(route_class=InternalOnlyRoute)

    @internal.get("/status")
    @force_maintenance_mode_off
    async def internal_status() -> PlainTextResponse:
        return PlainTextResponse("ran:internal_status")

    public = APIRouter()

    @public.get("/status")
    async def public_status() -> PlainTextResponse:
        return PlainTextResponse("ran:public_status")

    app = FastAPI()
    app.include_router(internal, prefix="/svc")
    app.include_router(public, prefix="/svc")
    backend = MemoryBackend()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend)
    return app, backend


CASE_VARIANTS = ["/api/reports/export", "/API/reports/export", "/api/Reports/Export"]


@pytest.mark.parametrize("path", CASE_VARIANTS)
async def test_an_included_case_insensitive_route_is_closed_in_every_case(path: str) -> None:
    app, backend = case_insensitive_app()
    off = await call(app, http_scope(path))
    assert (off.status, off.endpoint) == (200, "export")  # the router serves every case variant
    await backend.set_value(True)
    on = await call(app, http_scope(path))
    assert (on.status, on.endpoint) == (503, None)


async def test_an_included_host_restricted_route_forced_off_opens_only_its_own_host() -> None:
    app, backend = host_restricted_app()
    assert (await call(app, http_scope("/svc/status", host="public"))).endpoint == "public_status"
    assert (await call(app, http_scope("/svc/status", host="internal"))).endpoint == "internal_status"
    await backend.set_value(True)
    public = await call(app, http_scope("/svc/status", host="public"))
    assert (public.status, public.endpoint) == (503, None)  # the forced-off route does not match it
    internal = await call(app, http_scope("/svc/status", host="internal"))
    assert (internal.status, internal.endpoint) == (200, "internal_status")


@pytest.mark.skipif(
    not hasattr(fastapi.routing, "_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY"),
    reason="this FastAPI copies included routes at include_router: there is no included-router context to lose",
)
async def test_without_fastapis_scope_keys_such_routes_fail_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the included-router context cannot be passed as FastAPI does, any match is a doubt."""
    monkeypatch.delattr(fastapi.routing, "_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY")
    case_app, case_backend = case_insensitive_app()
    host_app, host_backend = host_restricted_app()
    await case_backend.set_value(True)
    await host_backend.set_value(True)
    for path in CASE_VARIANTS:
        assert (await call(case_app, http_scope(path))).status == 503, path
    for host in ("public", "internal"):  # a doubt cannot be lifted by the route's mark
        assert (await call(host_app, http_scope("/svc/status", host=host))).status == 503, host
