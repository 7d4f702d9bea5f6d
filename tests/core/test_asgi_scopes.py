"""Websockets, lifespan, streaming, background tasks and context variables."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Dict, List

import pytest
from fastapi import BackgroundTasks, FastAPI, Request, WebSocket
from fastapi.responses import StreamingResponse
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.types import Message

from fastapi_maintenance import MaintenanceModeMiddleware, force_maintenance_mode_off
from fastapi_maintenance.backends import MemoryBackend
from tests.support.asgi import client_for, drive_websocket, websocket_scope

#: What the client says once connected (the echo route would answer it, were it let through).
SAY_X: Message = {"type": "websocket.receive", "text": "x"}


def websocket_app(backend: MemoryBackend) -> FastAPI:
    app = FastAPI()
    app.add_middleware(MaintenanceModeMiddleware, backend=backend)

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello " + await websocket.receive_text())
        await websocket.close()

    @app.websocket("/ops")
    @force_maintenance_mode_off
    async def ops(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("ops")
        await websocket.close()

    return app


def test_a_websocket_is_accepted_when_maintenance_is_off() -> None:
    with TestClient(websocket_app(MemoryBackend())) as client, client.websocket_connect("/ws") as socket:
        socket.send_text("ada")
        assert socket.receive_text() == "hello ada"


def test_a_blocked_websocket_gets_an_http_503_denial_response() -> None:
    # Starlette's TestClient offers the websocket.http.response extension.
    with TestClient(websocket_app(MemoryBackend(True))) as client:
        with pytest.raises(WebSocketDenialResponse) as refused, client.websocket_connect("/ws"):
            pass  # pragma: no cover - never connects
        with client.websocket_connect("/ops") as socket:
            assert socket.receive_text() == "ops"
    assert refused.value.status_code == 503
    assert refused.value.json() == {"detail": "Service temporarily unavailable due to maintenance"}


@pytest.mark.anyio
async def test_the_denial_response_is_a_503_with_our_body() -> None:
    app = websocket_app(MemoryBackend(True))
    messages = await drive_websocket(app, websocket_scope(extensions={"websocket.http.response": {}}), SAY_X)
    assert messages[0]["type"] == "websocket.http.response.start"
    assert messages[0]["status"] == 503
    headers = dict(messages[0]["headers"])
    assert headers[b"retry-after"] == b"3600"
    body = b"".join(message.get("body", b"") for message in messages[1:])
    assert body == b'{"detail":"Service temporarily unavailable due to maintenance"}'


@pytest.mark.anyio
async def test_without_the_extension_a_blocked_websocket_is_closed_with_1013() -> None:
    app = websocket_app(MemoryBackend(True))
    messages = await drive_websocket(app, websocket_scope(extensions={}), SAY_X)
    assert [message["type"] for message in messages] == ["websocket.accept", "websocket.close"]
    assert messages[1]["code"] == 1013
    assert messages[1]["reason"] == "Try Again Later"


def test_lifespan_passes_through_untouched() -> None:
    events: List[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Dict[str, str]]:
        events.append("startup")
        yield {"greeting": "hi"}
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(MaintenanceModeMiddleware, backend=MemoryBackend(True))

    @app.get("/")
    @force_maintenance_mode_off
    async def root(request: Request) -> str:
        return str(request.state.greeting)

    with TestClient(app) as client:
        assert client.get("/").json() == "hi"
    assert events == ["startup", "shutdown"]


@pytest.mark.anyio
async def test_streaming_background_tasks_and_context_variables_pass_through() -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")
    done: List[str] = []
    app = FastAPI()

    @app.middleware("http")
    async def set_request_id(request: Any, call_next: Any) -> Any:
        request_id.set("abc")
        return await call_next(request)

    app.add_middleware(MaintenanceModeMiddleware, backend=MemoryBackend())

    @app.get("/stream")
    async def stream(background: BackgroundTasks) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for number in range(3):
                yield f"{request_id.get()}-{number};".encode()

        background.add_task(done.append, "background ran")
        return StreamingResponse(chunks(), media_type="text/plain")

    async with client_for(app) as client:
        response = await client.get("/stream")
    assert response.status_code == 200
    assert response.text == "abc-0;abc-1;abc-2;"
    assert done == ["background ran"]
