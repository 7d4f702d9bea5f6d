"""Two independent apps (own middleware, own RedisBackend, own connections) share one real Redis.

A switch made through one app (``set_maintenance_mode`` in an endpoint, or an
``async with maintenance_mode_on()`` block), or by the operator CLI in another
process, must reach the other app through pub/sub within a second, without
any request paying a round trip to Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple

import anyio
import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from fastapi_maintenance import (
    MaintenanceModeMiddleware,
    force_maintenance_mode_off,
    maintenance_mode_on,
    set_maintenance_mode,
)
from fastapi_maintenance.backends.redis import RedisBackend
from tests.redis_support import RedisServer
from tests.support.asgi import find_middleware
from tests.support.waiting import eventually

from .conftest import run_cli, serving, write_config

pytestmark = [pytest.mark.redis, pytest.mark.anyio, pytest.mark.timeout(60)]

#: A change reaches every subscribed instance "in a fraction of a second" (docs/scaling.md).
PROPAGATION_DEADLINE = 1.0


@dataclass
class Hold:
    """Lets a test keep an endpoint inside ``maintenance_mode_on()`` until it says so."""

    entered: anyio.Event
    release: anyio.Event


def build_app(config: Path, hold: Hold) -> FastAPI:
    app = FastAPI()

    @app.get("/")
    async def index() -> Dict[str, bool]:
        return {"served": True}

    @app.post("/admin/maintenance/{value}")
    @force_maintenance_mode_off
    async def switch(value: str) -> Dict[str, str]:
        await set_maintenance_mode(value == "on")
        return {"maintenance": value}

    @app.post("/admin/hold")
    @force_maintenance_mode_off
    async def hold_maintenance() -> Dict[str, bool]:
        async with maintenance_mode_on():
            hold.entered.set()
            await hold.release.wait()
        return {"held": True}

    # A factory of its own per app: each compiles its own plan, so each builds its own RedisBackend.
    app.add_middleware(MaintenanceModeMiddleware.from_config(config))
    return app


@asynccontextmanager
async def two_apps(config: Path) -> AsyncIterator[Tuple[httpx.AsyncClient, httpx.AsyncClient, Hold]]:
    hold = Hold(anyio.Event(), anyio.Event())
    first, second = build_app(config, hold), build_app(config, Hold(anyio.Event(), anyio.Event()))
    async with AsyncExitStack() as stack:
        client_a = await stack.enter_async_context(serving(first))
        client_b = await stack.enter_async_context(serving(second))
        for client in (client_a, client_b):
            assert (await client.get("/")).status_code == 200
        backend_a, backend_b = find_middleware(first).backend, find_middleware(second).backend
        assert isinstance(backend_a, RedisBackend)
        assert isinstance(backend_b, RedisBackend)
        assert backend_a is not backend_b, "each app must have a backend (and connections) of its own"
        yield client_a, client_b, hold


def redis_config(folder: Path, server: RedisServer) -> Path:
    return write_config(folder, f'backend = "{server.url}"\nretry_after = 120\n')


async def sees(client: httpx.AsyncClient, status: int, what: str) -> float:
    async def probe() -> bool:
        return (await client.get("/")).status_code == status

    return await eventually(probe, within=PROPAGATION_DEADLINE, what=what)


async def connected_clients(server: RedisServer) -> int:
    client = Redis.from_url(server.url)
    try:
        info = await client.info("clients")
    finally:
        await client.aclose()
    return int(info["connected_clients"])


async def test_set_maintenance_mode_in_one_app_is_seen_by_the_other(
    tmp_path: Path, private_redis: RedisServer
) -> None:
    config = redis_config(tmp_path, private_redis)
    async with two_apps(config) as (client_a, client_b, _):
        assert (await client_a.post("/admin/maintenance/on")).status_code == 200
        blocked = await client_a.get("/")
        assert blocked.status_code == 503, "the app that switched answers from its own memory at once"
        assert blocked.headers["retry-after"] == "120"
        await sees(client_b, 503, "maintenance on, switched through app A, in app B")
        for _ in range(20):
            assert (await client_b.get("/")).status_code == 503, "app B must stay in maintenance"

        assert (await client_b.post("/admin/maintenance/off")).status_code == 200
        assert (await client_b.get("/")).status_code == 200
        await sees(client_a, 200, "maintenance off, switched through app B, in app A")
        for _ in range(20):
            assert (await client_a.get("/")).status_code == 200

    stored = Redis.from_url(private_redis.url)
    try:
        assert await stored.get("fastapi_maintenance:mode") == b"0"
    finally:
        await stored.aclose()

    # Both lifespans have ended: each middleware closed its backend's connections (only the probe remains).
    async def only_the_probe_is_connected() -> bool:
        return await connected_clients(private_redis) == 1

    await eventually(
        only_the_probe_is_connected, within=5.0, what="the apps' Redis connections closed at shutdown"
    )


async def test_maintenance_mode_on_block_in_one_app_is_seen_by_the_other_and_undone(
    tmp_path: Path, private_redis: RedisServer
) -> None:
    config = redis_config(tmp_path, private_redis)
    async with two_apps(config) as (client_a, client_b, hold), anyio.create_task_group() as group:
        held: Dict[str, int] = {}

        async def hold_request() -> None:
            held["status"] = (await client_a.post("/admin/hold", timeout=30.0)).status_code

        group.start_soon(hold_request)
        with anyio.fail_after(5):
            await hold.entered.wait()
        assert (await client_a.get("/")).status_code == 503, "the override applies to every request of app A"
        await sees(client_b, 503, "maintenance_mode_on() entered in app A, in app B")

        hold.release.set()
        await sees(client_b, 200, "maintenance_mode_on() left in app A (state before restored), in app B")
        await sees(client_a, 200, "maintenance_mode_on() left, in app A")
    assert held == {"status": 200}


async def test_the_cli_in_another_process_switches_both_apps(
    tmp_path: Path, private_redis: RedisServer
) -> None:
    config = redis_config(tmp_path, private_redis)
    async with two_apps(config) as (client_a, client_b, _):
        on = await run_cli(["on", "--config", str(config)], cwd=tmp_path)
        assert "on" in on.stdout
        await sees(client_a, 503, "fastapi-maintenance on, in app A")
        await sees(client_b, 503, "fastapi-maintenance on, in app B")

        await run_cli(["off", "--config", str(config)], cwd=tmp_path)
        await sees(client_a, 200, "fastapi-maintenance off, in app A")
        await sees(client_b, 200, "fastapi-maintenance off, in app B")
