"""``until`` under a real uvicorn with two worker processes sharing one backend (a file, or Redis).

The record is written once; no process writes when ``until`` passes and no
clock job runs, yet every worker answers off within a second of ``until``,
because each compares the clock with ``until`` on its decision path.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, List, Set, Tuple

import anyio
import httpx
import pytest
from redis.asyncio import Redis

from fastapi_maintenance import set_maintenance_mode
from fastapi_maintenance.backends import BaseStateBackend, LocalFileBackend
from fastapi_maintenance.backends.redis import RedisBackend
from tests.redis_support import RedisServer, redis_backend_setting

from .conftest import write_config
from .load import PID_HEADER
from .workers import answers_by_worker, served_workers

pytestmark = [pytest.mark.http, pytest.mark.anyio, pytest.mark.timeout(90)]

WORKERS = 2

#: What the store holds and how often it was written to, taken before and after ``until`` passes.
Fingerprint = Callable[[], Awaitable[Any]]


async def until_passes(config: Path, writer: BaseStateBackend, fingerprint: Fingerprint) -> None:
    with served_workers(config, WORKERS) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
            before = await answers_by_worker(client, 30.0, WORKERS)
            assert len(before) == WORKERS, before
            assert set(before.values()) == {200}, before
            until = datetime.now(timezone.utc) + timedelta(seconds=4)
            await set_maintenance_mode(True, writer, message="upgrade", until=until)
            written = await fingerprint()
            await anyio.sleep(1.0)  # longer than the file backend's check_interval (0.5 s)
            during = await answers_by_worker(client, 2.0, WORKERS)
            assert len(during) == WORKERS, during
            assert set(during.values()) == {503}, during
            left = (until - datetime.now(timezone.utc)).total_seconds()
            assert left > 0.2, "the machine is too slow for this test's timing"
            await anyio.sleep(left)
            answers: List[Tuple[float, str, int]] = []
            end = until + timedelta(seconds=2)
            while datetime.now(timezone.utc) < end:
                response = await client.get("/", headers={"Connection": "close"})
                after_until = (datetime.now(timezone.utc) - until).total_seconds()
                answers.append((after_until, response.headers[PID_HEADER], response.status_code))
                await anyio.sleep(0.01)
    late = [(pid, status) for after, pid, status in answers if after >= 1.0]
    workers_late: Set[str] = {pid for pid, _ in late}
    assert len(workers_late) == WORKERS, f"not every worker answered after until + 1 s: {answers}"
    assert {status for _, status in late} == {200}, [a for a in answers if a[2] != 200]
    assert await fingerprint() == written, "something was written when until passed"


async def test_file_every_worker_answers_off_within_a_second_of_until(tmp_path: Path) -> None:
    state_file = tmp_path / "state"
    config = write_config(tmp_path, f'backend = {{ type = "file", path = "{state_file}" }}\n')

    async def fingerprint() -> Any:
        stat = state_file.stat()
        return state_file.read_bytes(), stat.st_mtime_ns, stat.st_ino

    await until_passes(config, LocalFileBackend(state_file), fingerprint)


@pytest.mark.redis
async def test_redis_every_worker_answers_off_within_a_second_of_until(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    key = f"fastapi_maintenance:until:{uuid.uuid4().hex}"
    config = write_config(tmp_path, redis_backend_setting(redis_server.url, key))
    writer = RedisBackend(redis_server.url, key)
    client = Redis.from_url(redis_server.url)

    async def fingerprint() -> Any:
        stats = await client.info("commandstats")
        writes = {name: stats[name]["calls"] for name in stats if name in ("cmdstat_set", "cmdstat_publish")}
        return await client.get(key), writes

    try:
        await until_passes(config, writer, fingerprint)
    finally:
        await writer.aclose()
        await client.aclose()
