"""Several uvicorn worker processes following one Redis under a concurrent load on loopback.

While the load runs the state is switched through a RedisBackend (as another
app instance would) and by the operator CLI in another process. Every answer
must be a 200 or a 503, never a 500 or a transport error, and after each
switch settles every worker answers the same.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Dict, Set

import anyio
import httpx
import pytest

from fastapi_maintenance.backends.redis import RedisBackend
from tests.redis_support import RedisServer
from tests.support.servers import uvicorn_server

from .conftest import REPO_ROOT, run_cli, write_config
from .load import PID_HEADER, Load

pytestmark = [pytest.mark.redis, pytest.mark.http, pytest.mark.anyio, pytest.mark.timeout(90)]

APP = "tests.integration.served_app:app"
WORKERS = 3


async def wait_for_workers(base_url: str, wanted: int, within: float) -> Set[str]:
    """Fresh connections until ``wanted`` different workers answered (or time is up): all are serving."""
    seen: Set[str] = set()
    end = time.monotonic() + within
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
        while len(seen) < wanted and time.monotonic() < end:
            response = await client.get("/", headers={"Connection": "close"})
            seen.add(response.headers[PID_HEADER])
            await anyio.sleep(0.01)
    return seen


async def test_workers_follow_every_switch_under_load(tmp_path: Path, private_redis: RedisServer) -> None:
    key = f"fastapi_maintenance:workers:{uuid.uuid4().hex}"
    config = write_config(
        tmp_path, f'backend = {{ type = "redis", url = "{private_redis.url}", key = "{key}" }}\n'
    )
    writer = RedisBackend(private_redis.url, key)
    env = {"FASTAPI_MAINTENANCE_CONFIG": str(config)}
    steady_pids: Dict[str, Dict[str, int]] = {}
    try:
        with uvicorn_server(APP, cwd=REPO_ROOT, env=env, extra_args=["--workers", str(WORKERS)]) as base_url:
            await wait_for_workers(base_url, WORKERS, within=20.0)
            limits = httpx.Limits(max_connections=40, max_keepalive_connections=20)
            async with httpx.AsyncClient(base_url=base_url, timeout=5.0, limits=limits) as client:
                load = Load(
                    client,
                    concurrency=20,
                    max_requests=6000,
                    max_seconds=45.0,
                    pause=0.01,
                    fresh_connections=True,
                )
                async with anyio.create_task_group() as group:
                    group.start_soon(load.run)
                    try:
                        await load.settle(200, after=time.monotonic())

                        async def switched(value: bool, label: str) -> None:
                            await writer.set_value(value)
                            await settled(value, label)

                        async def settled(value: bool, label: str) -> None:
                            expected = 503 if value else 200
                            await load.settle(expected, after=time.monotonic())
                            steady_pids[label] = await load.steady(expected, after=time.monotonic())

                        await switched(True, "on through RedisBackend")
                        await switched(False, "off through RedisBackend")
                        # Rapid flips: the last write wins everywhere.
                        for value in (True, False, True, False):
                            await writer.set_value(value)
                        await switched(True, "on after rapid flips")
                        await run_cli(["off", "--config", str(config)], cwd=tmp_path)
                        await settled(False, "off through the CLI")
                        await run_cli(["on", "--config", str(config)], cwd=tmp_path)
                        await settled(True, "on through the CLI")
                    finally:
                        load.stop()
    finally:
        await writer.aclose()

    assert load.errors() == [], f"transport errors under load: {load.summary()}"
    assert set(load.statuses()) == {200, 503}, f"only 200 and 503 may be answered: {load.summary()}"
    assert len(load.pids()) >= 2, f"the load reached only workers {load.pids()}; {load.summary()}"
    assert len(steady_pids) == 5
    for label, pids in steady_pids.items():
        assert len(pids) >= 2, f"{label}: the agreeing answers came from workers {pids} only"
    assert len(load.samples) <= 6000
