"""RedisBackend against a real redis-server: sharing, propagation, the safety net, outages, shutdown."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
import warnings
from typing import Any, Callable, List, Union

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from fastapi_maintenance.backends.base import BackendUnavailable
from fastapi_maintenance.backends.redis import RedisBackend
from tests.redis_support import RedisServer, redis_server_binary
from tests.support import waiting
from tests.support.logs import library_messages
from tests.support.processes import free_port

BackendFactory = Callable[..., RedisBackend]
Observed = Union[bool, None, str]

# A hang is a failure here: give up well before the suite-wide timeout.
pytestmark = [pytest.mark.redis, pytest.mark.anyio, pytest.mark.timeout(30)]

UNAVAILABLE = "unavailable"
TASK_NAME = "fastapi_maintenance redis subscriber"


def observe(backend: RedisBackend) -> Observed:
    """What a request would see: the value, None (must await get_value) or 'unavailable'."""
    try:
        return backend.peek()
    except BackendUnavailable:
        return UNAVAILABLE


async def eventually(backend: RedisBackend, expected: Observed, within: float) -> None:
    deadline = time.monotonic() + within
    seen = observe(backend)
    while seen != expected:
        if time.monotonic() > deadline:
            pytest.fail(f"{backend.describe()}: peek() gave {seen!r}, expected {expected!r} within {within}s")
        await asyncio.sleep(0.01)
        seen = observe(backend)


def count_connection_attempts(monkeypatch: pytest.MonkeyPatch) -> List[None]:
    """Record every connection redis-py tries to open from now on (one entry per attempt)."""
    attempts: List[None] = []
    original = AbstractConnection.connect

    async def counted(self: AbstractConnection) -> None:
        attempts.append(None)
        await original(self)  # type: ignore[no-untyped-call, unused-ignore]

    monkeypatch.setattr(AbstractConnection, "connect", counted)
    return attempts


def record_sent_commands(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Record the name of every command redis-py sends from now on (``GET``, ``SET``, ...)."""
    sent: List[str] = []
    original = AbstractConnection.send_command

    async def recorded(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        sent.append(str(args[0]).upper())
        await original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_command", recorded)
    return sent


async def wait_until_answering(url: str, within: float = 5.0) -> None:
    """Wait until the server answers a fresh client again (a paused server holds the PING)."""
    client = Redis.from_url(url)
    try:
        await asyncio.wait_for(client.ping(), within)
    finally:
        await client.aclose()


def our_tasks() -> List[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith(TASK_NAME)]


async def test_peek_is_none_until_the_first_read(
    make_backend: BackendFactory, redis_url: str, redis_key: str
) -> None:
    backend = make_backend(redis_url, redis_key)
    assert backend.peek() is None
    assert await backend.get_value() is False
    assert backend.peek() is False


async def test_two_instances_see_each_others_changes(
    make_backend: BackendFactory, redis_url: str, redis_key: str
) -> None:
    first = make_backend(redis_url, redis_key)
    second = make_backend(redis_url, redis_key)
    assert await first.get_value() is False
    assert await second.get_value() is False

    await first.set_value(True)
    assert first.peek() is True
    await eventually(second, True, within=1.0)

    await second.set_value(False)
    assert second.peek() is False
    await eventually(first, False, within=1.0)

    assert await first.get_value() is False
    assert await second.get_value() is False


async def test_a_plain_client_writing_and_publishing_is_followed(
    make_backend: BackendFactory, raw_client: Redis, redis_url: str, redis_key: str
) -> None:
    backend = make_backend(redis_url, redis_key)
    await backend.start()
    assert backend.peek() is False

    await raw_client.set(redis_key, "1")
    await raw_client.publish(f"{redis_key}:changed", "1")
    await eventually(backend, True, within=1.0)

    await raw_client.set(redis_key, "0")
    await raw_client.publish(f"{redis_key}:changed", "0")
    await eventually(backend, False, within=1.0)


async def test_set_value_stores_1_or_0_and_publishes_on_the_channel(
    make_backend: BackendFactory, raw_client: Redis, redis_url: str, redis_key: str
) -> None:
    backend = make_backend(redis_url, redis_key, channel=f"{redis_key}:custom")
    pubsub = raw_client.pubsub()
    await pubsub.subscribe(f"{redis_key}:custom")
    try:
        assert await pubsub.get_message(timeout=1.0) is not None  # the subscribe confirmation
        await backend.set_value(True)
        assert await raw_client.get(redis_key) == b"1"
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        assert message is not None
        assert message["data"] == b"1"
        await backend.set_value(False)
        assert await raw_client.get(redis_key) == b"0"
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]


async def test_a_change_without_a_message_is_picked_up_by_the_resync(
    make_backend: BackendFactory, raw_client: Redis, redis_url: str, redis_key: str
) -> None:
    backend = make_backend(redis_url, redis_key, resync_interval=0.2)
    assert await backend.get_value() is False
    await raw_client.set(redis_key, "1")  # no PUBLISH: the message is "lost"
    await eventually(backend, True, within=3.0)
    await raw_client.set(redis_key, "0")
    await eventually(backend, False, within=3.0)


async def test_unrecognised_text_counts_as_off_with_one_warning(
    make_backend: BackendFactory,
    raw_client: Redis,
    redis_url: str,
    redis_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    backend = make_backend(redis_url, redis_key)
    await backend.set_value(True)
    await raw_client.set(redis_key, "maybe")
    await raw_client.publish(f"{redis_key}:changed", "maybe")
    await eventually(backend, False, within=1.0)
    assert await backend.get_value() is False
    assert await backend.get_value() is False
    warned = library_messages(caplog, logging.WARNING)
    assert len(warned) == 1, warned
    assert "'maybe'" in warned[0]


async def test_concurrent_first_reads_share_one_connection(
    make_backend: BackendFactory, raw_client: Redis, redis_url: str, redis_key: str
) -> None:
    before = (await raw_client.info("clients"))["connected_clients"]
    backend = make_backend(redis_url, redis_key)
    results = await asyncio.gather(*(backend.get_value() for _ in range(50)))
    assert results == [False] * 50
    await eventually(backend, False, within=1.0)
    after = (await raw_client.info("clients"))["connected_clients"]
    # The subscription, the callers' shared read and the subscriber's own read: not one per caller.
    assert after - before <= 3, (before, after)


async def test_outage_is_bounded_logged_once_and_recovered_from(
    make_backend: BackendFactory,
    private_redis: RedisServer,
    redis_key: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    backend = make_backend(private_redis.url, redis_key, timeout=0.3, resync_interval=0.3)
    await backend.set_value(True)
    await eventually(backend, True, within=1.0)

    private_redis.stop()
    await eventually(backend, UNAVAILABLE, within=3.0)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        await backend.get_value()
    with pytest.raises(BackendUnavailable):
        await backend.set_value(False)
    assert time.monotonic() - started < 3.0
    attempts = count_connection_attempts(monkeypatch)
    await waiting.eventually(
        lambda: len(attempts) >= 3, within=5.0, what="three failed reconnection attempts"
    )
    assert observe(backend) == UNAVAILABLE
    assert len(library_messages(caplog, logging.WARNING)) == 1
    assert library_messages(caplog, logging.INFO) == []

    private_redis.start()  # same port, empty store: the key is gone, so maintenance is off
    await eventually(backend, False, within=5.0)
    assert len(library_messages(caplog, logging.INFO)) == 1
    assert len(library_messages(caplog, logging.WARNING)) == 1

    client = Redis.from_url(private_redis.url)
    try:
        await client.set(redis_key, "1")
        await client.publish(f"{redis_key}:changed", "1")
    finally:
        await client.aclose()
    await eventually(backend, True, within=1.0)


async def test_a_frozen_server_gives_bounded_errors_not_a_hang(
    make_backend: BackendFactory, private_redis: RedisServer, redis_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    backend = make_backend(private_redis.url, redis_key, timeout=0.3, resync_interval=0.3)
    assert await backend.get_value() is False

    private_redis.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(BackendUnavailable):
            await backend.get_value()
        with pytest.raises(BackendUnavailable):
            await backend.set_value(True)
        assert time.monotonic() - started < 3.0
        await eventually(backend, UNAVAILABLE, within=3.0)
    finally:
        private_redis.thaw()

    await eventually(backend, False, within=5.0)
    await backend.set_value(True)
    assert await backend.get_value() is True
    assert len(library_messages(caplog, logging.WARNING)) == 1
    assert len(library_messages(caplog, logging.INFO)) == 1


async def test_redis_down_at_start_up_then_coming_up(
    make_backend: BackendFactory, tmp_path_factory: pytest.TempPathFactory, redis_key: str
) -> None:
    port = free_port()
    backend = make_backend(f"redis://127.0.0.1:{port}/0", redis_key, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        await backend.start()
    assert time.monotonic() - started < 3.0
    assert observe(backend) == UNAVAILABLE  # the middleware's fault policy answers, no await per request

    server = RedisServer(redis_server_binary(), tmp_path_factory.mktemp("late-redis"), port=port)
    server.start()
    try:
        await eventually(backend, False, within=5.0)
        await backend.set_value(True)
        assert await backend.get_value() is True
    finally:
        await backend.aclose()
        server.stop()


async def test_aclose_cancels_the_subscriber_and_closes_connections(
    redis_url: str, redis_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    backend = RedisBackend(redis_url, redis_key)
    assert await backend.get_value() is False
    assert len(our_tasks()) == 1

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await backend.aclose()
        assert our_tasks() == []
        assert backend.peek() is None
        # Used again after aclose, it starts afresh; closed again, nothing is left.
        await backend.set_value(True)
        assert await backend.get_value() is True
        await backend.set_value(False)
        await backend.aclose()
        assert our_tasks() == []
        del backend
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]


async def test_aclose_during_an_outage_is_prompt(private_redis: RedisServer, redis_key: str) -> None:
    backend = RedisBackend(private_redis.url, redis_key, timeout=0.3)
    assert await backend.get_value() is False
    private_redis.stop()
    await eventually(backend, UNAVAILABLE, within=3.0)
    started = time.monotonic()
    await backend.aclose()
    assert time.monotonic() - started < 3.0
    assert our_tasks() == []


async def pause_server(url: str, milliseconds: int) -> None:
    """Hold every client's commands on the server for a while (the pausing client's own reply is immediate)."""
    client = Redis.from_url(url)
    try:
        await client.client_pause(milliseconds, all=True)
    finally:
        await client.aclose()


async def read_held_by_a_paused_server(
    backend: RedisBackend, url: str, milliseconds: int, monkeypatch: pytest.MonkeyPatch
) -> asyncio.Future[bool]:
    """Pause the server, start a read and return it once its GET is sent: the answer comes after the pause."""
    await pause_server(url, milliseconds)
    sent = record_sent_commands(monkeypatch)
    read = asyncio.ensure_future(backend.get_value())
    await waiting.eventually(lambda: "GET" in sent, within=5.0, what="the GET sent to the paused server")
    return read


def stall_the_event_loop(seconds: float) -> None:
    """What a synchronous endpoint does to every other task of its event loop (on purpose here)."""
    time.sleep(seconds)


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="stall tolerance needs asyncio.Timeout (Python 3.11+); older Pythons keep a plain deadline",
)
async def test_an_event_loop_stalled_past_the_timeout_is_not_an_outage(
    make_backend: BackendFactory,
    private_redis: RedisServer,
    redis_key: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A synchronous endpoint that blocks the loop must not turn a Redis answer that arrived
    # meanwhile into a timeout: that would log an outage and hand requests to the fault policy.
    caplog.set_level(logging.INFO, logger="fastapi_maintenance")
    backend = make_backend(private_redis.url, redis_key, timeout=0.3, resync_interval=60)
    await backend.set_value(True)
    # The answer to the next GET comes after 150 ms.
    read = await read_held_by_a_paused_server(backend, private_redis.url, 150, monkeypatch)
    assert not read.done()
    stall_the_event_loop(1.0)  # well past the 0.3 s timeout; the answer arrives meanwhile
    assert await read is True
    assert observe(backend) is True
    assert library_messages(caplog, logging.WARNING) == []


async def test_a_server_that_does_not_answer_still_times_out_after_a_stall(
    make_backend: BackendFactory, private_redis: RedisServer, redis_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stall only buys a fresh window: a server that still does not answer within it fails the call.
    backend = make_backend(private_redis.url, redis_key, timeout=0.3, resync_interval=60)
    assert await backend.get_value() is False
    # Paused longer than the stall plus a fresh window.
    read = await read_held_by_a_paused_server(backend, private_redis.url, 1500, monkeypatch)
    stall_the_event_loop(0.6)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        await read
    assert time.monotonic() - started < 1.0
    await wait_until_answering(private_redis.url)  # the pause is over before the backend is closed
