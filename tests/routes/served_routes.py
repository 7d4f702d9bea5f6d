"""An app with every route kind the route check must agree with the router on.

Every endpoint answers ``ran:<name>``, so a test sees from outside which endpoint ran. Served by
uvicorn as ``tests.routes.served_routes:app`` (state from ``FASTAPI_MAINTENANCE_MODE``) and
built in-process by ``build_app``.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, Coroutine, List, Optional

from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.responses import PlainTextResponse
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.routing import Host, Route, Router, WebSocketRoute
from starlette.websockets import WebSocket as StarletteWebSocket

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    force_maintenance_mode_off,
    force_maintenance_mode_on,
)


class YearConvertor(Convertor[int]):
    """A user-registered convertor: four digits."""

    regex = "[0-9]{4}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return f"{value:04d}"


register_url_convertor("year", YearConvertor())


def starlette_endpoint(name: str) -> Callable[[Request], Coroutine[Any, Any, PlainTextResponse]]:
    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"ran:{name}")

    endpoint.__name__ = name
    return endpoint


def build_app(**middleware: Any) -> FastAPI:
    """The app, with the middleware given these arguments (none: settings from the environment)."""
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, **middleware)

    @app.get("/files/{name:path}")
    def files(name: str) -> PlainTextResponse:
        return PlainTextResponse("ran:files")

    @app.get("/orders/{oid:int}")
    def order_by_id(oid: int) -> PlainTextResponse:
        return PlainTextResponse("ran:order_by_id")

    @app.get("/orders/{slug}")
    @force_maintenance_mode_off
    def order_by_slug(slug: str) -> PlainTextResponse:
        return PlainTextResponse("ran:order_by_slug")

    @app.get("/prices/{value:float}")
    def price(value: float) -> PlainTextResponse:
        return PlainTextResponse("ran:price")

    @app.get("/prices/{label}")
    @force_maintenance_mode_off
    def price_label(label: str) -> PlainTextResponse:
        return PlainTextResponse("ran:price_label")

    @app.get("/tokens/{token:uuid}")
    def token(token: uuid.UUID) -> PlainTextResponse:
        return PlainTextResponse("ran:token")

    @app.get("/tokens/{other}")
    @force_maintenance_mode_off
    def token_other(other: str) -> PlainTextResponse:
        return PlainTextResponse("ran:token_other")

    @app.get("/archive/{year:year}")
    def archive(year: int) -> PlainTextResponse:
        return PlainTextResponse("ran:archive")

    @app.get("/archive/{name}")
    @force_maintenance_mode_off
    def archive_name(name: str) -> PlainTextResponse:
        return PlainTextResponse("ran:archive_name")

    @app.get("/downloads/{p:path}")
    @force_maintenance_mode_on
    def downloads(p: str) -> PlainTextResponse:
        return PlainTextResponse("ran:downloads")

    @app.get("/exports/{p:path}")
    def exports(p: str) -> PlainTextResponse:
        return PlainTextResponse("ran:exports")

    users = APIRouter(prefix="/api/users")

    @users.get("/{uid}")
    def user(uid: str) -> PlainTextResponse:
        return PlainTextResponse("ran:user")

    @users.get("/{uid}/avatar")
    @force_maintenance_mode_off
    def avatar(uid: str) -> PlainTextResponse:
        return PlainTextResponse("ran:avatar")

    app.include_router(users)
    app.router.routes.append(Route("/plain/{x}", starlette_endpoint("plain")))
    app.mount(
        "/sub",
        Starlette(
            routes=[
                Route("/static/{p:path}", starlette_endpoint("sub_static")),
                Route("/status", force_maintenance_mode_off(starlette_endpoint("sub_status"))),
            ]
        ),
    )
    app.router.routes.append(
        Host(
            "admin.example.com",
            app=Router(
                routes=[
                    Route("/panel", force_maintenance_mode_off(starlette_endpoint("host_panel"))),
                    Route("/reset", force_maintenance_mode_on(starlette_endpoint("host_reset"))),
                ]
            ),
        )
    )

    async def socket(websocket: StarletteWebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("ran:socket")
        await websocket.close()

    app.router.routes.append(WebSocketRoute("/ws/{room:path}", socket))

    @app.websocket("/live/{channel}")
    async def live(websocket: WebSocket, channel: str) -> None:
        await websocket.accept()
        await websocket.send_text("ran:live")
        await websocket.close()

    @app.get("/{full:path}")
    def spa(full: str) -> PlainTextResponse:
        return PlainTextResponse("ran:spa")

    return app


def no_catch_all(app: FastAPI) -> FastAPI:
    """The same app without the SPA catch-all (so unknown paths reach no route)."""
    app.router.routes[:] = [
        route for route in app.router.routes if getattr(route, "path", None) != "/{full:path}"
    ]
    return app


ROUTE_NAMES: List[str] = [
    "files",
    "order_by_id",
    "order_by_slug",
    "price",
    "price_label",
    "token",
    "token_other",
    "archive",
    "archive_name",
    "downloads",
    "exports",
    "user",
    "avatar",
    "plain",
    "sub_static",
    "sub_status",
    "host_panel",
    "host_reset",
    "spa",
]


def ran(body: str) -> Optional[str]:
    """The endpoint name in a ``ran:<name>`` body, or None."""
    return body[4:] if body.startswith("ran:") else None


app = build_app(maintenance_paths=["/exports/**"])
