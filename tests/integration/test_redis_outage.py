"""Redis stopped (or frozen) in the middle of a load, then back: the ``on_backend_error`` policy answers.

During the outage every answer is the policy's (``last_known``: the state
before the outage; ``open``: 200; ``closed``: 503), apart from the short moment
before the backend notices; no request fails or hangs. After Redis is back the
app follows the state again. The state before the outage is chosen so that
the policy's answer differs from it wherever the policy allows, so the test
sees the policy at work rather than the old state.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Tuple

import anyio
import pytest

from fastapi_maintenance.backends.redis import RedisBackend
from tests.redis_support import RedisServer, redis_backend_setting

from .conftest import one_route_app, serving, write_config
from .faults import LATENCY_BOUND, POLICY_CASES, PolicyCase, fault_then_recovery, status_for
from .load import Load
from .workers import http_load, served_workers

pytestmark = [pytest.mark.redis, pytest.mark.anyio, pytest.mark.timeout(60)]


async def redis_outage(
    load: Load, server: RedisServer, writer: RedisBackend, case: PolicyCase, kind: str, workers: int = 1
) -> None:
    """Stop (or freeze) the server for two seconds, then bring it back; writes go through ``writer``."""

    async def break_store() -> None:
        await writer.aclose()  # only the app's own backend is connected during the outage
        if kind == "stopped":
            await anyio.to_thread.run_sync(server.stop)
        else:
            server.freeze()

    async def repair_store() -> None:
        if kind == "stopped":
            await anyio.to_thread.run_sync(server.start)
        else:
            server.thaw()

    await fault_then_recovery(
        load,
        case,
        set_state=writer.set_value,
        break_store=break_store,
        repair_store=repair_store,
        # A stopped server comes back empty (no persistence), which reads as off; a thawed one kept the key.
        state_after_repair=case.state_before if kind == "frozen" else False,
        label=f"Redis {kind}",
        workers=workers,
    )


@asynccontextmanager
async def app_under_load(
    tmp_path: Path, server: RedisServer, policy: str, max_requests: int
) -> AsyncIterator[Tuple[Load, RedisBackend]]:
    """An in-process app with ``policy`` on a key of its own, under a running load; yields the load and
    a second backend that writes the key as another instance would."""
    key = f"fastapi_maintenance:outage:{uuid.uuid4().hex}"
    backend = RedisBackend(server.url, key, timeout=0.3, resync_interval=0.5)
    writer = RedisBackend(server.url, key)
    config = write_config(tmp_path, f'on_backend_error = "{policy}"\n')
    try:
        async with serving(one_route_app(config, backend)) as client:
            load = Load(client, concurrency=10, max_requests=max_requests, max_seconds=30.0, pause=0.02)
            async with load.running():
                yield load, writer
    finally:
        await writer.aclose()
        await backend.aclose()


@pytest.mark.parametrize(
    ("policy", "kind"),
    [("last_known", "stopped"), ("open", "stopped"), ("closed", "stopped"), ("closed", "frozen")],
)
async def test_redis_outage_answered_by_the_policy_in_process(
    tmp_path: Path, private_redis: RedisServer, policy: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    async with app_under_load(tmp_path, private_redis, policy, max_requests=5000) as (load, writer):
        await redis_outage(load, private_redis, writer, POLICY_CASES[policy], kind)

    library = [record for record in caplog.records if record.name.startswith("fastapi_maintenance")]
    warnings = [record.getMessage() for record in library if record.levelno >= logging.WARNING]
    recoveries = [record.getMessage() for record in library if "recovered" in record.getMessage()]
    assert len(warnings) == 1, f"one warning per outage, got {warnings}"
    assert "unreachable" in warnings[0]
    assert len(recoveries) == 1, f"one message at recovery, got {recoveries}"


@pytest.mark.http
@pytest.mark.timeout(90)
async def test_redis_stopped_under_load_on_uvicorn_workers(
    tmp_path: Path, private_redis: RedisServer
) -> None:
    """The default policy (last_known) across two worker processes built from settings alone."""
    case = POLICY_CASES["last_known"]
    key = f"fastapi_maintenance:outage:{uuid.uuid4().hex}"
    config = write_config(
        tmp_path, redis_backend_setting(private_redis.url, key) + f'on_backend_error = "{case.policy}"\n'
    )
    writer = RedisBackend(private_redis.url, key)
    try:
        with served_workers(config, workers=2) as base_url:
            async with http_load(base_url, concurrency=10, max_requests=5000, max_seconds=40.0) as load:
                await redis_outage(load, private_redis, writer, case, "stopped", workers=2)
    finally:
        await writer.aclose()
    assert len(load.pids()) >= 2, f"the load reached only workers {load.pids()}; {load.summary()}"


@pytest.mark.parametrize(
    ("policy", "answer", "kind"),
    [("last_known", 200, "stopped"), ("closed", 503, "stopped"), ("closed", 503, "frozen")],
)
async def test_redis_down_when_the_app_starts(
    tmp_path: Path, private_redis: RedisServer, policy: str, answer: int, kind: str
) -> None:
    """Nothing was ever read: last_known means off, closed means on; then Redis comes up and is followed.

    A frozen server accepts connections but never answers: the first reads wait for the backend's timeout only.
    """
    if kind == "stopped":
        await anyio.to_thread.run_sync(private_redis.stop)
    else:
        private_redis.freeze()
    async with app_under_load(tmp_path, private_redis, policy, max_requests=4000) as (load, writer):
        await load.steady(answer, after=0.0, count=300)
        if kind == "stopped":
            await anyio.to_thread.run_sync(private_redis.start)
        else:
            private_redis.thaw()
        for value in (True, False):
            await writer.set_value(value)
            await load.settle(status_for(value), after=time.monotonic(), deadline=10.0)
    slow = [sample for sample in load.samples if sample.elapsed > LATENCY_BOUND]
    assert slow == [], f"requests took longer than {LATENCY_BOUND} s: {slow[:5]}"
    assert load.errors() == [], load.summary()
    assert set(load.statuses()) == {200, 503}, load.summary()
