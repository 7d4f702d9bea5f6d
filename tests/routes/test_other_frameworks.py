"""Real Litestar and Quart apps, wrapped directly and through their own middleware hooks.

Without a Starlette router there is no route table: every request reaches the app, so maintenance
closes every path (unknown ones included) except ``exempt_paths``; decorators have no effect.
Litestar's own hook runs middleware only for requests it has routed, so its 404 stays.
"""

from __future__ import annotations

import logging
from typing import Any, Tuple, cast

import httpx
import pytest
from litestar import Litestar, get
from litestar.middleware import DefineMiddleware
from quart import Quart
from starlette.types import ASGIApp

from fastapi_maintenance import MaintenanceModeMiddleware, force_maintenance_mode_off
from fastapi_maintenance.backends import MemoryBackend

pytestmark = pytest.mark.anyio

BODY = '{"detail":"Service temporarily unavailable due to maintenance"}'


@get("/items/{item_id:int}")
async def litestar_item() -> str:
    return "ran:item"


@get("/health")
async def litestar_health() -> str:
    return "ran:health"


@get("/pinned")
@force_maintenance_mode_off
async def litestar_pinned() -> str:
    return "ran:pinned"


HANDLERS = [litestar_item, litestar_health, litestar_pinned]


def litestar_through_its_hook(**middleware: Any) -> Litestar:
    return Litestar(
        route_handlers=HANDLERS,
        logging_config=None,  # Litestar would otherwise configure the root logger for the whole test run
        middleware=[DefineMiddleware(cast(Any, MaintenanceModeMiddleware), **middleware)],
    )


def litestar_wrapped(**middleware: Any) -> MaintenanceModeMiddleware:
    return MaintenanceModeMiddleware(
        cast(ASGIApp, Litestar(route_handlers=HANDLERS, logging_config=None)), **middleware
    )


def quart_app() -> Quart:
    app = Quart(__name__)

    @app.get("/items/<int:item_id>")
    async def item(item_id: int) -> str:
        return "ran:item"

    @app.get("/health")
    async def health() -> str:
        return "ran:health"

    @app.get("/pinned")
    @force_maintenance_mode_off
    async def pinned() -> str:
        return "ran:pinned"

    return app


def quart_through_its_hook(**middleware: Any) -> Quart:
    app = quart_app()
    app.asgi_app = cast(Any, MaintenanceModeMiddleware(cast(ASGIApp, app.asgi_app), **middleware))  # type: ignore[method-assign]
    return app


def quart_wrapped(**middleware: Any) -> MaintenanceModeMiddleware:
    return MaintenanceModeMiddleware(cast(ASGIApp, quart_app()), **middleware)


BUILDERS = {
    "litestar-hook": litestar_through_its_hook,
    "litestar-wrapped": litestar_wrapped,
    "quart-hook": quart_through_its_hook,
    "quart-wrapped": quart_wrapped,
}


async def get_(app: Any, path: str) -> Tuple[int, str]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.get(path)
        return response.status_code, response.text


@pytest.mark.parametrize("kind", sorted(BUILDERS))
async def test_maintenance_on_closes_their_routes_and_exempt_paths_open_them(kind: str) -> None:
    backend = MemoryBackend()
    app = BUILDERS[kind](backend=backend, exempt_paths=["/health"])
    assert await get_(app, "/items/3") == (200, "ran:item")
    await backend.set_value(True)
    assert await get_(app, "/items/3") == (503, BODY)
    assert await get_(app, "/health") == (200, "ran:health")
    assert (await get_(app, "/pinned"))[0] == 503, "no route table: decorators have no effect"
    status, _ = await get_(app, "/nowhere")
    # Litestar runs its middleware only for routed requests, so its own 404 stays; elsewhere the
    # middleware cannot tell an unknown path from a known one and closes it too.
    assert status == (404 if kind == "litestar-hook" else 503)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
async def test_maintenance_paths_close_their_routes_while_off(kind: str) -> None:
    app = BUILDERS[kind](backend=MemoryBackend(), maintenance_paths=["/items/**"])
    assert (await get_(app, "/items/3"))[0] == 503
    assert await get_(app, "/health") == (200, "ran:health")


async def test_litestar_schema_is_closed_unless_exempted_by_glob() -> None:
    closed = litestar_through_its_hook(enable_maintenance=True)
    assert (await get_(closed, "/schema/openapi.json"))[0] == 503
    opened = litestar_through_its_hook(enable_maintenance=True, exempt_paths=["/schema", "/schema/**"])
    status, body = await get_(opened, "/schema/openapi.json")
    assert status == 200
    assert '"openapi"' in body


async def test_app_is_accepted_as_keyword(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="fastapi_maintenance"):
        app = MaintenanceModeMiddleware(app=cast(ASGIApp, quart_app()), enable_maintenance=True)
        assert (await get_(app, "/items/3"))[0] == 503
        assert (await get_(app, "/items/4"))[0] == 503
    lines = [record for record in caplog.records if "no Starlette router" in record.getMessage()]
    assert [record.levelno for record in lines] == [logging.INFO], "logged once, at INFO"
