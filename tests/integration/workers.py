"""The served app under a real uvicorn with several worker processes: starting it, loading it, telling
its workers apart."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Dict

import anyio
import httpx

from tests.support.processes import REPO_ROOT
from tests.support.servers import uvicorn_server

from .load import PID_HEADER, Load

APP = "tests.integration.served_app:app"


@contextmanager
def served_workers(config: Path, workers: int) -> Iterator[str]:
    """Run the served app with ``workers`` processes and its settings from ``config``; yield the base URL."""
    env = {"FASTAPI_MAINTENANCE_CONFIG": str(config)}
    with uvicorn_server(APP, cwd=REPO_ROOT, env=env, extra_args=["--workers", str(workers)]) as base_url:
        yield base_url


@asynccontextmanager
async def http_load(
    base_url: str, *, concurrency: int, max_requests: int, max_seconds: float
) -> AsyncIterator[Load]:
    """A load over real connections, half of them fresh each request so every worker keeps being reached."""
    limits = httpx.Limits(max_connections=2 * concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0, limits=limits) as client:
        load = Load(
            client,
            concurrency=concurrency,
            max_requests=max_requests,
            max_seconds=max_seconds,
            pause=0.01,
            fresh_connections=True,
        )
        async with load.running():
            yield load


async def answers_by_worker(client: httpx.AsyncClient, within: float, wanted: int) -> Dict[str, int]:
    """Fresh connections until ``wanted`` workers answered (or time is up): each worker's status code."""
    seen: Dict[str, int] = {}
    end = time.monotonic() + within
    while len(seen) < wanted and time.monotonic() < end:
        response = await client.get("/", headers={"Connection": "close"})
        seen[response.headers[PID_HEADER]] = response.status_code
        await anyio.sleep(0.01)
    return seen
