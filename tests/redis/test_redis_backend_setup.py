"""RedisBackend set-up: the missing extra, URL checks, secret-free names, use across event loops."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import sys
import warnings

import pytest

from fastapi_maintenance.backends.redis import RedisBackend


def test_missing_redis_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry makes `import redis...` fail as if the package were not installed.
    for name in [name for name in sys.modules if name == "redis" or name.startswith("redis.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "fastapi_maintenance.backends.redis")
    with pytest.raises(ImportError, match=r'pip install "fastapi-maintenance\[redis\]"') as error:
        importlib.import_module("fastapi_maintenance.backends.redis")
    assert (error.value.name or "").split(".")[0] == "redis"
    backends = importlib.import_module("fastapi_maintenance.backends")
    monkeypatch.delattr(backends, "redis", raising=False)
    with pytest.raises(ImportError, match=r'pip install "fastapi-maintenance\[redis\]"'):
        backends.RedisBackend  # noqa: B018 - the lazy attribute is what is under test


@pytest.mark.parametrize(
    ("url", "described"),
    [
        ("redis://localhost", "redis://localhost:6379/0"),
        ("redis://:s3cret@cache.internal:6380/2", "redis://cache.internal:6380/2"),
        ("rediss://user:s3cret@[::1]:7000/5", "rediss://[::1]:7000/5"),
        ("unix:///run/redis.sock?db=3", "unix:///run/redis.sock?db=3"),
    ],
)
def test_describe_names_the_store_without_credentials(url: str, described: str) -> None:
    backend = RedisBackend(url, "app:mode")
    assert backend.describe() == f"{described} key=app:mode"
    assert "s3cret" not in backend.describe()
    assert "user" not in backend.describe()
    assert backend.channel == "app:mode:changed"


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        ("http://:s3cret@localhost", {}, "invalid Redis URL 'http://\\*\\*\\*@localhost'"),
        ("redis://localhost:port/0", {}, "invalid Redis URL"),
        ("redis://localhost/zero", {}, "database must be a number"),
        ("redis://localhost", {"key": ""}, "key must be a non-empty string"),
        ("redis://localhost", {"timeout": 0}, "timeout must be a positive number"),
        ("redis://localhost", {"resync_interval": -1}, "resync_interval must be a positive number"),
        ("redis://localhost", {"channel": ""}, "channel must be a non-empty string"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(
    url: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as error:
        RedisBackend(url, **kwargs)  # type: ignore[arg-type]
    assert "s3cret" not in str(error.value)


def test_peek_before_any_use_needs_no_event_loop() -> None:
    assert RedisBackend("redis://127.0.0.1:1/0").peek() is None


@pytest.mark.redis
def test_usable_from_one_event_loop_after_another(
    redis_url: str, redis_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Like a test client opening a fresh loop per request, or the CLI calling asyncio.run twice."""
    caplog.set_level(logging.DEBUG)
    backend = RedisBackend(redis_url, redis_key)

    async def switch_on() -> bool:
        await backend.set_value(True)
        return await backend.get_value()

    async def read_then_close() -> bool:
        value = await backend.get_value()
        await backend.aclose()
        return value

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(switch_on()) is True  # the loop ends without aclose
        assert backend.peek() is None  # its subscriber went with that loop
        assert asyncio.run(read_then_close()) is True
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
