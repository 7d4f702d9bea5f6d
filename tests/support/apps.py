"""Small apps and backends that several test folders build the same way."""

from __future__ import annotations

from typing import Any, Callable, Coroutine, Dict

from fastapi import FastAPI

from fastapi_maintenance import MaintenanceModeMiddleware
from fastapi_maintenance.backends import BaseStateBackend


def echo_endpoint(path: str) -> Callable[[], Coroutine[Any, Any, Dict[str, str]]]:
    """An endpoint answering {"path": path}, to tell which route served a request."""

    async def endpoint() -> Dict[str, str]:
        return {"path": path}

    return endpoint


def echo_app(*paths: str, **middleware: Any) -> FastAPI:
    """A FastAPI app with the middleware (given these arguments) and one echo route (GET, POST) per path."""
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, **middleware)
    for path in paths:
        app.add_api_route(path, echo_endpoint(path), methods=["GET", "POST"])
    return app


class FlakyBackend(BaseStateBackend):
    """A user-written store that can be made to fail: ``broken = True`` makes every read raise."""

    def __init__(self, value: bool = False) -> None:
        self.value = value
        self.broken = False

    async def get_value(self) -> bool:
        if self.broken:
            raise ConnectionError("store unreachable")
        return self.value

    async def set_value(self, value: bool) -> None:
        self.value = value
