"""Fixtures for the Redis backend tests: a private redis-server on 127.0.0.1 and backends that get closed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator, List

import pytest
from redis.asyncio import Redis

from fastapi_maintenance.backends.redis import RedisBackend
from tests.redis_support import RedisServer, running_redis

BackendFactory = Callable[..., RedisBackend]
ServerFactory = Callable[..., RedisServer]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One server for the session; tests that need an outage use ``private_redis`` instead."""
    with running_redis(tmp_path_factory.mktemp("redis-shared")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.start()  # no-op unless a test stopped it
    return redis_server.url


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of the test's own, free to be stopped, frozen and restarted on the same port."""
    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture
def redis_key() -> str:
    return f"fastapi_maintenance:test:{uuid.uuid4().hex}"


@pytest.fixture
async def make_backend() -> AsyncIterator[BackendFactory]:
    """Build backends that are closed after the test, whatever it did."""
    made: List[RedisBackend] = []

    def make(url: str, key: str, **options: Any) -> RedisBackend:
        backend = RedisBackend(url, key, **options)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.aclose()


@pytest.fixture
async def raw_client(redis_url: str) -> AsyncIterator[Redis]:
    """A plain client writing the way the CLI or another tool would."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()
