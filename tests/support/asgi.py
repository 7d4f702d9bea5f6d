"""In-process HTTP clients for ASGI apps."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from fastapi_maintenance import MaintenanceModeMiddleware


def client_for(app: ASGIApp, **kwargs: object) -> httpx.AsyncClient:
    """An httpx client that calls the app in-process (no sockets)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        **kwargs,  # type: ignore[arg-type]
    )


def find_middleware(app: object) -> MaintenanceModeMiddleware:
    """The MaintenanceModeMiddleware inside a started app's middleware stack."""
    node = getattr(app, "middleware_stack", None)
    while node is not None:
        if isinstance(node, MaintenanceModeMiddleware):
            return node
        node = getattr(node, "app", None)
    raise LookupError("no MaintenanceModeMiddleware in the app's stack (has it served a request yet?)")
