"""Helpers for the end-to-end tests: a one-route app built from settings, apps run with their lifespan,
and the operator CLI run as a real process. Redis servers (``private_redis``) come from the root conftest;
waiting for a condition (``eventually``) from tests/support/waiting.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Dict, Optional

import anyio
import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Scope

from fastapi_maintenance import MaintenanceModeMiddleware
from fastapi_maintenance.backends import BaseStateBackend
from tests.support.asgi import client_for
from tests.support.cli import Ran, run_cli_process
from tests.support.processes import REPO_ROOT, write_config

__all__ = ["REPO_ROOT", "one_route_app", "run_cli", "serving", "write_config"]


def one_route_app(config: Path, backend: Optional[BaseStateBackend] = None) -> FastAPI:
    """``GET /`` behind the middleware built from ``config`` (with ``backend`` in place of the configured one)."""
    app = FastAPI()

    @app.get("/")
    async def index() -> Dict[str, bool]:
        return {"served": True}

    app.add_middleware(MaintenanceModeMiddleware.from_config(config, backend=backend))
    return app


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan, yield an in-process client, and run the shutdown after the block.

    The shutdown is where the middleware closes its backend, as under a real server.
    """
    to_app, app_inbox = anyio.create_memory_object_stream[Message](4)
    app_outbox, from_app = anyio.create_memory_object_stream[Message](4)
    scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}

    async def run_lifespan() -> None:
        await app(scope, app_inbox.receive, app_outbox.send)

    async with anyio.create_task_group() as group, to_app, from_app:
        group.start_soon(run_lifespan)
        await to_app.send({"type": "lifespan.startup"})
        started = await from_app.receive()
        assert started["type"] == "lifespan.startup.complete", started
        try:
            async with client_for(app, timeout=5.0) as client:
                yield client
        finally:
            with anyio.fail_after(10):
                await to_app.send({"type": "lifespan.shutdown"})
                stopped = await from_app.receive()
            assert stopped["type"] == "lifespan.shutdown.complete", stopped


async def run_cli(args: Sequence[str], *, cwd: Path) -> Ran:
    """Run the operator CLI as a separate process (bounded); fail with its output unless it exits 0."""
    ran = await anyio.to_thread.run_sync(lambda: run_cli_process(args, cwd=cwd, env={"NO_COLOR": "1"}))
    assert ran.exit_code == 0, (
        f"fastapi-maintenance {' '.join(args)} exited {ran.exit_code}:\n{ran.stdout}{ran.stderr}"
    )
    return ran
