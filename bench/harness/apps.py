"""The benchmark application: N routes with a path parameter plus a few static ones.

Every variant starts from the same app, built the same way, so the only
difference between two variants is the middleware in front of it.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

MAINTENANCE_BODY: Dict[str, Any] = {"detail": "Service temporarily unavailable due to maintenance"}
#: Static routes; the first two come before the parameterised ones, the last one after them.
STATIC_BEFORE = ("health", "version")
STATIC_AFTER = ("about",)
STATIC_PAGES = STATIC_BEFORE + STATIC_AFTER


def resource_body(index: int, item_id: int) -> Dict[str, Any]:
    return {"route": index, "item_id": item_id}


def static_body(page: str) -> Dict[str, Any]:
    return {"page": page}


def _resource(index: int) -> Callable[[int], Awaitable[Dict[str, Any]]]:
    async def read_resource(item_id: int) -> Dict[str, Any]:
        return resource_body(index, item_id)

    return read_resource


def _static(page: str) -> Callable[[], Awaitable[Dict[str, Any]]]:
    async def read_page() -> Dict[str, Any]:
        return static_body(page)

    return read_page


async def _resource_503(item_id: int) -> JSONResponse:
    return JSONResponse(MAINTENANCE_BODY, status_code=503, headers={"Retry-After": "3600"})


async def _static_503() -> JSONResponse:
    return JSONResponse(MAINTENANCE_BODY, status_code=503, headers={"Retry-After": "3600"})


def build_app(route_count: int, *, answer_503: bool = False) -> FastAPI:
    """The app under test; with ``answer_503`` every route returns the maintenance 503 itself,
    the floor of the maintenance-on path."""
    app = FastAPI()

    def add_static(page: str) -> None:
        endpoint = _static_503 if answer_503 else _static(page)
        app.add_api_route(f"/{page}", endpoint, methods=["GET"], name=f"page_{page}")

    for page in STATIC_BEFORE:
        add_static(page)
    for index in range(route_count):
        endpoint = _resource_503 if answer_503 else _resource(index)
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
