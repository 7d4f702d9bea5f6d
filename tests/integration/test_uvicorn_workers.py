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
from typing import Dict

import httpx
import pytest

from fastapi_maintenance.backends.redis import RedisBackend
from tests.redis_support import RedisServer, redis_backend_setting

from .conftest import run_cli, write_config
from .workers import answers_by_worker, http_load, served_workers

pytestmark = [pytest.mark.redis, pytest.mark.http, pytest.mark.anyio, pytest.mark.timeout(90)]

WORKERS = 3


async def test_workers_follow_every_switch_under_load(tmp_path: Path, private_redis: RedisServer) -> None:
    key = f"fastapi_maintenance:workers:{uuid.uuid4().hex}"
    config = write_config(tmp_path, redis_backend_setting(private_redis.url, key))
    writer = RedisBackend(private_redis.url, key)
    steady_pids: Dict[str, Dict[str, int]] = {}
    try:
        with served_workers(config, WORKERS) as base_url:
            async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as probe:
                await answers_by_worker(probe, within=20.0, wanted=WORKERS)  # every worker is serving
            async with http_load(base_url, concurrency=20, max_requests=6000, max_seconds=45.0) as load:
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
        await writer.aclose()

    assert load.errors() == [], f"transport errors under load: {load.summary()}"
    assert set(load.statuses()) == {200, 503}, f"only 200 and 503 may be answered: {load.summary()}"
    assert len(load.pids()) >= 2, f"the load reached only workers {load.pids()}; {load.summary()}"
    assert len(steady_pids) == 5
    for label, pids in steady_pids.items():
        assert len(pids) >= 2, f"{label}: the agreeing answers came from workers {pids} only"
    assert len(load.samples) <= 6000
