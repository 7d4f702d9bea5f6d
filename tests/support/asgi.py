"""In-process HTTP clients for ASGI apps."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import httpx
from starlette.types import ASGIApp, Message

from fastapi_maintenance import MaintenanceModeMiddleware


def client_for(
    app: ASGIApp, peer: str = "127.0.0.1", *, raise_app_exceptions: bool = True, **kwargs: object
) -> httpx.AsyncClient:
    """An httpx client that calls the app in-process (no sockets); ``peer`` is the client address the app sees."""
    transport = httpx.ASGITransport(app=app, client=(peer, 50000), raise_app_exceptions=raise_app_exceptions)
    options: Dict[str, Any] = {"base_url": "http://testserver", **kwargs}
    return httpx.AsyncClient(transport=transport, **options)


def find_middleware(app: object) -> MaintenanceModeMiddleware:
    """The MaintenanceModeMiddleware inside a started app's middleware stack."""
    node = getattr(app, "middleware_stack", None)
    while node is not None:
        if isinstance(node, MaintenanceModeMiddleware):
            return node
        node = getattr(node, "app", None)
    raise LookupError("no MaintenanceModeMiddleware in the app's stack (has it served a request yet?)")


def websocket_scope(
    path: str = "/ws",
    *,
    client: Tuple[str, int] = ("127.0.0.1", 5000),
    extensions: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """A websocket connection scope as a server would send it, for driving an app without a server."""
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": client,
        "server": ("testserver", 80),
        "subprotocols": [],
        "extensions": {} if extensions is None else extensions,
        "state": {},
    }


async def drive_websocket(app: ASGIApp, scope: Dict[str, Any], *after_connect: Message) -> List[Message]:
    """Connect a websocket to the raw ASGI app, then deliver ``after_connect`` and a disconnect; return
    every message the app sent (accept, send, close, or a denial response)."""
    incoming: List[Message] = [{"type": "websocket.connect"}, *after_connect]
    sent: List[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent
