"""The benchmark application: N routes with a path parameter plus a few static ones.

Every variant starts from the same app, built the same way, so the only
difference between two variants is the middleware in front of it.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

MAINTENANCE_DETAIL = "Service temporarily unavailable due to maintenance"
MAINTENANCE_BODY: Dict[str, Any] = {"detail": MAINTENANCE_DETAIL}
RETRY_AFTER = "3600"
#: Static routes; the first two come before the parameterised ones, the last one after them.
STATIC_BEFORE = ("health", "version")
STATIC_AFTER = ("about",)
STATIC_PAGES = STATIC_BEFORE + STATIC_AFTER


def resource_path(index: int, item_id: int) -> str:
    return f"/resource{index}/{item_id}"


def resource_body(index: int, item_id: int) -> Dict[str, Any]:
    return {"route": index, "item_id": item_id}


def static_body(page: str) -> Dict[str, Any]:
    return {"page": page}


def maintenance_json_response() -> JSONResponse:
    """The 503 that a bare route answers with: the floor for the maintenance-on path."""
    return JSONResponse(MAINTENANCE_BODY, status_code=503, headers={"Retry-After": RETRY_AFTER})


def _resource_endpoint(index: int) -> Callable[[int], Awaitable[Dict[str, Any]]]:
    async def read_resource(item_id: int) -> Dict[str, Any]:
        return resource_body(index, item_id)

    return read_resource


def _resource_503_endpoint() -> Callable[[int], Awaitable[JSONResponse]]:
    async def read_resource(item_id: int) -> JSONResponse:
        return maintenance_json_response()

    return read_resource


def _static_endpoint(page: str) -> Callable[[], Awaitable[Dict[str, Any]]]:
    async def read_page() -> Dict[str, Any]:
        return static_body(page)

    return read_page


def _static_503_endpoint() -> Callable[[], Awaitable[JSONResponse]]:
    async def read_page() -> JSONResponse:
        return maintenance_json_response()

    return read_page


def build_app(route_count: int, *, answer_503: bool = False) -> FastAPI:
    """The app under test; with ``answer_503`` every route returns the maintenance 503 itself."""
    app = FastAPI()

    def add_static(page: str) -> None:
        endpoint = _static_503_endpoint() if answer_503 else _static_endpoint(page)
        app.add_api_route(f"/{page}", endpoint, methods=["GET"], name=f"page_{page}")

    for page in STATIC_BEFORE:
        add_static(page)
    for index in range(route_count):
        endpoint = _resource_503_endpoint() if answer_503 else _resource_endpoint(index)
        app.add_api_route(
            f"/resource{index}/{{item_id}}", endpoint, methods=["GET"], name=f"resource_{index}"
        )
    for page in STATIC_AFTER:
        add_static(page)
    return app


class PassThroughMiddleware:
    """A pure-ASGI middleware that does nothing: the floor any middleware can reach."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
