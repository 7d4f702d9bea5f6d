"""Fixtures for the end-to-end tests: a private redis-server on 127.0.0.1, apps run with their lifespan,
config files, and the operator CLI run as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from starlette.types import ASGIApp, Message, Scope

from tests.redis_support import RedisServer, running_redis
from tests.support.asgi import client_for

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own (no persistence), free to be stopped and started on the same port."""
    with running_redis(tmp_path) as server:
        yield server


def write_config(folder: Path, text: str, name: str = "maintenance.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


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


async def eventually(probe: Callable[[], Awaitable[bool]], *, within: float, what: str) -> float:
    """Poll ``probe`` until it is true; return how long that took, or fail after ``within`` seconds."""
    start = time.monotonic()
    while True:
        if await probe():
            return time.monotonic() - start
        if time.monotonic() - start > within:
            raise AssertionError(f"{what}: not seen within {within} s")
        await anyio.sleep(0.01)


def cli_command() -> list[str]:
    """The installed console script for this interpreter (else on PATH), else ``python -m fastapi_maintenance``."""
    beside = Path(sys.executable).parent / "fastapi-maintenance"
    script = str(beside) if beside.is_file() else shutil.which("fastapi-maintenance")
    return [script] if script is not None else [sys.executable, "-m", "fastapi_maintenance"]


async def run_cli(args: Sequence[str], *, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run the operator CLI as a separate process (bounded); fail with its output unless it exits 0."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FASTAPI_MAINTENANCE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    with anyio.fail_after(60):
        completed = await anyio.run_process([*cli_command(), *args], cwd=cwd, env=env, check=False)
    assert completed.returncode == 0, (
        f"fastapi-maintenance {' '.join(args)} exited {completed.returncode}:\n"
        f"{completed.stdout.decode(errors='replace')}{completed.stderr.decode(errors='replace')}"
    )
    return completed
