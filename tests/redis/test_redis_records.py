"""Maintenance records in a real Redis: the stored text, old texts, two apps sharing one key, two writers."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, List

import pytest
from hypothesis import HealthCheck, given, settings
from redis.asyncio import Redis

from fastapi_maintenance import MaintenanceState, set_maintenance_mode
from fastapi_maintenance.backends.redis import RedisBackend
from fastapi_maintenance.control import get_maintenance_state
from fastapi_maintenance.record import OFF, ON
from tests.support.apps import echo_app
from tests.support.asgi import client_for
from tests.support.switching import Switch, switch_sequences, write_switches
from tests.support.waiting import eventually

BackendFactory = Callable[..., RedisBackend]

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]


@pytest.mark.anyio
async def test_a_record_is_stored_as_json_and_published_in_the_same_transaction(
    make_backend: BackendFactory, redis_url: str, redis_key: str, raw_client: Redis
) -> None:
    backend = make_backend(redis_url, redis_key)
    await backend.start()
    pubsub = raw_client.pubsub()
    await pubsub.subscribe(backend.channel)
    assert (await pubsub.get_message(timeout=1.0) or {}).get("type") == "subscribe"
    until = datetime.now(timezone.utc) + timedelta(minutes=30)
    await set_maintenance_mode(True, backend, message="Database upgrade", until=until, actor="ann")
    stored = await raw_client.get(redis_key)
    assert isinstance(stored, bytes)
    assert json.loads(stored) == {
        "active": True,
        "message": "Database upgrade",
        "until": until.isoformat(),
        "actor": "ann",
        "since": json.loads(stored)["since"],
    }
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
    assert message is not None
    assert message["data"] == stored
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await set_maintenance_mode(True, backend)
    assert await raw_client.get(redis_key) == b"1"
    await set_maintenance_mode(False, backend)
    assert await raw_client.get(redis_key) == b"0"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("text", "expected"), [(b"1", ON), (b"on", ON), (b"0", OFF), (b"no", OFF), (b"", OFF)]
)
async def test_old_texts_stay_readable(
    make_backend: BackendFactory,
    redis_url: str,
    redis_key: str,
    raw_client: Redis,
    text: bytes,
    expected: Any,
) -> None:
    await raw_client.set(redis_key, text)
    assert await make_backend(redis_url, redis_key).get_state() is expected


@pytest.mark.anyio
async def test_two_apps_see_the_same_message_and_the_same_end(
    make_backend: BackendFactory, redis_url: str, redis_key: str, raw_client: Redis
) -> None:
    one, two = make_backend(redis_url, redis_key), make_backend(redis_url, redis_key)
    async with (
        client_for(echo_app("/", backend=one)) as first,
        client_for(echo_app("/", backend=two)) as second,
    ):
        assert (await first.get("/")).status_code == 200
        assert (await second.get("/")).status_code == 200
        await set_maintenance_mode(True, one, message="Back at 03:00", duration=1.0)
        written = await raw_client.get(redis_key)
        await eventually(
            lambda: two.peek_state() == one.peek_state(), within=1.0, what="the record in the second app"
        )
        seen = two.peek_state()
        assert seen is not None
        assert seen.message == "Back at 03:00"
        assert seen.until is not None
        assert (await first.get("/")).status_code == 503
        assert (await second.get("/")).status_code == 503
        await asyncio.sleep(max(0.0, (seen.until - datetime.now(timezone.utc)).total_seconds()) + 0.05)
        assert (await first.get("/")).status_code == 200
        assert (await second.get("/")).status_code == 200
    assert await raw_client.get(redis_key) == written  # the end came from the clock: nothing was written


def holds(reader: RedisBackend, expected: MaintenanceState) -> Callable[[], bool]:
    return lambda: reader.peek_state() == expected


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=switch_sequences(max_size=6))
def test_two_writers_any_sequence_every_reader_ends_with_the_last_record(
    redis_url: str, sequence: List[Switch]
) -> None:
    key = f"fastapi_maintenance:test:{uuid.uuid4().hex}"

    async def run() -> None:
        writers = [RedisBackend(redis_url, key), RedisBackend(redis_url, key)]
        readers = [RedisBackend(redis_url, key), RedisBackend(redis_url, key)]
        try:
            for reader in readers:
                await reader.start()
            last = await write_switches(writers, sequence)
            for reader in readers:
                await eventually(holds(reader, last), within=2.0, what="the last record")
                assert await get_maintenance_state(reader) == last
        finally:
            for backend in (*writers, *readers):
                await backend.aclose()

    asyncio.run(run())
