"""The app the end-to-end tests run under uvicorn (``tests.integration.served_app:app``).

Its settings come the twelve-factor way: the file named by
``FASTAPI_MAINTENANCE_CONFIG``. Every response, the middleware's 503 included,
carries the PID of the worker process that answered, so a test can tell the
workers apart.
"""

from __future__ import annotations

import os
from typing import Dict

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastapi_maintenance import MaintenanceModeMiddleware

PID_HEADER = b"x-worker-pid"


class WorkerPidHeader:
    """Outermost middleware: adds this process's PID to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pid = (PID_HEADER, str(os.getpid()).encode())

        async def send_with_pid(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), pid]}
            await send(message)

        await self.app(scope, receive, send_with_pid)


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def index() -> Dict[str, int]:
        return {"pid": os.getpid()}

    app.add_middleware(MaintenanceModeMiddleware.from_config())
    app.add_middleware(WorkerPidHeader)  # added last: outermost, so it also sees the maintenance responses
    return app


app = build_app()
