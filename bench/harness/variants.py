"""The app under test and the variants compared: what sits in front of the same FastAPI app.

Every variant builds the same app the same way, so the only difference between two variants is
the middleware in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from fastapi_maintenance import MaintenanceModeMiddleware
from fastapi_maintenance.backends import BaseStateBackend, EnvVarBackend, LocalFileBackend, MemoryBackend
from fastapi_maintenance.settings.model import DEFAULT_MESSAGE

MAINTENANCE_BODY: Dict[str, Any] = {"detail": DEFAULT_MESSAGE}
#: The static routes, in the order ``build_app`` adds them around the parameterised ones.
STATIC_PAGES = ("health", "version", "about")


def _page(page: str) -> Callable[[], Awaitable[Dict[str, Any]]]:
    async def read_page() -> Dict[str, Any]:
        return {"page": page}

    return read_page


def _resource(index: int) -> Callable[[int], Awaitable[Dict[str, Any]]]:
    async def read_resource(item_id: int) -> Dict[str, Any]:
        return {"route": index, "item_id": item_id}

    return read_resource


async def _page_503() -> JSONResponse:
    return JSONResponse(MAINTENANCE_BODY, status_code=503, headers={"Retry-After": "3600"})


async def _resource_503(item_id: int) -> JSONResponse:
    return JSONResponse(MAINTENANCE_BODY, status_code=503, headers={"Retry-After": "3600"})


def build_app(route_count: int, *, answer_503: bool = False) -> FastAPI:
    """``route_count`` routes ``/resource{i}/{item_id}`` among static ones; with ``answer_503`` every
    route returns the maintenance 503 itself, the floor of the maintenance-on path."""
    app = FastAPI()

    def add_page(page: str) -> None:
        app.add_api_route(f"/{page}", _page_503 if answer_503 else _page(page), name=f"page_{page}")

    add_page("health")
    add_page("version")
    for index in range(route_count):
        endpoint = _resource_503 if answer_503 else _resource(index)
        app.add_api_route(f"/resource{index}/{{item_id}}", endpoint, name=f"resource_{index}")
    add_page("about")
    return app


class PassThroughMiddleware:
    """A pure-ASGI middleware that does nothing: the floor any middleware can reach."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class BuildContext:
    route_count: int
    workdir: Path
    redis_url: Optional[str] = None


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    build: Callable[[BuildContext], ASGIApp]
    maintenance: bool = False


def _floor(context: BuildContext) -> ASGIApp:
    app = build_app(context.route_count)
    app.add_middleware(PassThroughMiddleware)
    return app


def _ours(backend: Callable[[BuildContext], BaseStateBackend]) -> Callable[[BuildContext], ASGIApp]:
    """The app behind ``app.add_middleware(MaintenanceModeMiddleware, backend=...)``, as users write it."""

    def build(context: BuildContext) -> ASGIApp:
        app = build_app(context.route_count)
        app.add_middleware(MaintenanceModeMiddleware, backend=backend(context))
        return app

    return build


def _state_file_off(context: BuildContext) -> str:
    path = context.workdir / "maintenance-off.txt"
    path.write_text("0", encoding="utf-8")
    return path.as_posix()


def _redis_backend(context: BuildContext) -> BaseStateBackend:
    """Imported here: the Redis client library is optional, and the variant is skipped without it."""
    from fastapi_maintenance.backends.redis import RedisBackend

    if context.redis_url is None:
        raise RuntimeError("the redis variant needs a Redis URL")
    return RedisBackend(context.redis_url)


_VARIANTS = (
    Variant("bare", "bare FastAPI app", lambda context: build_app(context.route_count)),
    Variant("floor", "bare app + do-nothing pure-ASGI middleware", _floor),
    Variant("ours-env", "ours, env backend, off", _ours(lambda context: EnvVarBackend())),
    Variant("ours-file", "ours, file backend, off", _ours(lambda c: LocalFileBackend(_state_file_off(c)))),
    Variant("ours-memory", "ours, memory backend, off", _ours(lambda context: MemoryBackend())),
    Variant("ours-redis", "ours, Redis backend, off", _ours(_redis_backend)),
    Variant(
        "bare-503",
        "bare app whose routes return the same 503",
        lambda context: build_app(context.route_count, answer_503=True),
        maintenance=True,
    ),
    Variant("ours-on", "ours, env backend, on", _ours(lambda c: EnvVarBackend()), maintenance=True),
)
BY_NAME: Dict[str, Variant] = {each.name: each for each in _VARIANTS}


def variant(name: str) -> Variant:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; known: {', '.join(BY_NAME)}") from None
