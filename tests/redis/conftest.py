"""Fixtures for the Redis backend tests: the shared server's URL, a key of each test's own, and backends
that get closed. The servers themselves (``redis_server``, ``private_redis``) come from the root conftest."""

from __future__ import annotations

import uuid
from typing import Any, AsyncIterator, Callable, List

import pytest
from redis.asyncio import Redis

from fastapi_maintenance.backends.redis import RedisBackend
from tests.redis_support import RedisServer

BackendFactory = Callable[..., RedisBackend]


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.start()  # no-op unless a test stopped it
    return redis_server.url


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
