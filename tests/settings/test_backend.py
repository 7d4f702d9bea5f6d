"""The backend setting's forms, and turning configs and configure_backend kinds into backend objects."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from fastapi_maintenance.backends.env import EnvVarBackend
from fastapi_maintenance.backends.factory import backend_from_kind, build_backend
from fastapi_maintenance.backends.file import LocalFileBackend
from fastapi_maintenance.backends.memory import MemoryBackend
from fastapi_maintenance.errors import MaintenanceConfigError
from fastapi_maintenance.settings import (
    EnvBackendConfig,
    FileBackendConfig,
    MemoryBackendConfig,
    RedisBackendConfig,
    load_settings,
)

HAS_REDIS_MODULE = importlib.util.find_spec("fastapi_maintenance.backends.redis") is not None
needs_redis_module = pytest.mark.skipif(
    not HAS_REDIS_MODULE, reason="fastapi_maintenance.backends.redis is not written yet"
)

STRING_FORMS = [
    ("env", EnvBackendConfig()),
    ("ENV", EnvBackendConfig()),
    ("env:MY_APP_MAINTENANCE", EnvBackendConfig(var_name="MY_APP_MAINTENANCE")),
    ("memory", MemoryBackendConfig()),
    (" memory ", MemoryBackendConfig()),
    ("file:///var/run/app/state", FileBackendConfig(path=Path("/var/run/app/state"))),
    ("file://localhost/var/run/app/state", FileBackendConfig(path=Path("/var/run/app/state"))),
    ("file:/var/run/app/state", FileBackendConfig(path=Path("/var/run/app/state"))),
    ("file:///tmp/with%20space", FileBackendConfig(path=Path("/tmp/with space"))),
    ("redis://localhost:6379/0", RedisBackendConfig(url="redis://localhost:6379/0")),
    ("rediss://cache.internal:6380/2", RedisBackendConfig(url="rediss://cache.internal:6380/2")),
]


@pytest.mark.parametrize(("text", "expected"), STRING_FORMS)
def test_string_forms(text: str, expected: Any) -> None:
    assert load_settings(backend=text).backend == expected


TABLE_FORMS = [
    ({"type": "env"}, EnvBackendConfig()),
    ({"type": "env", "var_name": "X_STATE"}, EnvBackendConfig(var_name="X_STATE")),
    ({"type": "file", "path": "/srv/state"}, FileBackendConfig(path=Path("/srv/state"))),
    ({"type": "memory"}, MemoryBackendConfig()),
    (
        {"type": "redis", "url": "redis://h:1/3", "key": "app:maint"},
        RedisBackendConfig(url="redis://h:1/3", key="app:maint"),
    ),
    (
        {"type": "redis", "url": "redis://h"},
        RedisBackendConfig(url="redis://h", key="fastapi_maintenance:mode"),
    ),
]


@pytest.mark.parametrize(("table", "expected"), TABLE_FORMS)
def test_table_forms_in_every_source(
    table: Dict[str, Any], expected: Any, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(backend=table).backend == expected
    assert load_settings(write("m.toml", {"backend": table})).backend == expected
    assert load_settings(write("m.yaml", {"backend": table})).backend == expected
    for key, value in table.items():
        monkeypatch.setenv(f"FASTAPI_MAINTENANCE_BACKEND__{key.upper()}", value)
    assert load_settings().backend == expected


def test_relative_file_path_resolves_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "m.yaml").write_text("backend:\n  type: file\n  path: run/state\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_settings(folder / "m.yaml").backend == FileBackendConfig(path=folder / "run" / "state")


def test_relative_file_path_without_config_file_resolves_against_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(backend={"type": "file", "path": "state"}).backend == FileBackendConfig(
        path=tmp_path / "state"
    )
    monkeypatch.setenv("FASTAPI_MAINTENANCE_BACKEND", '{"type": "file", "path": "s2"}')
    assert load_settings().backend == FileBackendConfig(path=tmp_path / "s2")


def test_repr_never_shows_credentials() -> None:
    config = load_settings(backend="redis://alice:hunter2secret@cache:6380/4").backend
    assert "hunter2secret" not in repr(config)
    assert "hunter2secret" not in repr(load_settings(backend="redis://:hunter2secret@cache"))


def test_build_backend(tmp_path: Path) -> None:
    env = build_backend(EnvBackendConfig(var_name="X_STATE"))
    assert isinstance(env, EnvVarBackend)
    assert env.var_name == "X_STATE"
    file_backend = build_backend(FileBackendConfig(path=tmp_path / "s"))
    assert isinstance(file_backend, LocalFileBackend)
    assert file_backend.file_path == tmp_path / "s"
    assert isinstance(build_backend(MemoryBackendConfig()), MemoryBackend)
    assert build_backend(MemoryBackendConfig()) is not build_backend(MemoryBackendConfig())


def test_build_backend_from_default_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = build_backend(load_settings().backend)
    assert isinstance(backend, EnvVarBackend)
    assert backend.describe() == "env:FASTAPI_MAINTENANCE_MODE"


@needs_redis_module
def test_build_redis_backend() -> None:
    from fastapi_maintenance.backends.redis import RedisBackend

    backend = build_backend(RedisBackendConfig(url="redis://:pw-secret@127.0.0.1:6399/1", key="k:1"))
    assert isinstance(backend, RedisBackend)
    assert "pw-secret" not in backend.describe()
    via_kind = backend_from_kind("redis", url="redis://127.0.0.1:6399/1", key="k:2")
    assert isinstance(via_kind, RedisBackend)


def test_redis_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "fastapi_maintenance.backends.redis", raising=False)
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    if not HAS_REDIS_MODULE:
        monkeypatch.setitem(sys.modules, "fastapi_maintenance.backends.redis", None)
    with pytest.raises(MaintenanceConfigError) as caught:
        build_backend(RedisBackendConfig(url="redis://127.0.0.1:6399/0"))
    if HAS_REDIS_MODULE:
        assert 'pip install "fastapi-maintenance[redis]"' in str(caught.value)
    else:
        assert "not available" in str(caught.value)


def test_backend_from_kind(tmp_path: Path) -> None:
    env = backend_from_kind("env", var_name="X_STATE")
    assert isinstance(env, EnvVarBackend)
    assert env.var_name == "X_STATE"
    default_env = backend_from_kind("env")
    assert isinstance(default_env, EnvVarBackend)
    assert (default_env.var_name, default_env.variable) == (None, "FASTAPI_MAINTENANCE_MODE")
    file_backend = backend_from_kind("file", file_path=str(tmp_path / "s"), check_interval=0.1)
    assert isinstance(file_backend, LocalFileBackend)
    assert (file_backend.file_path, file_backend.check_interval) == (str(tmp_path / "s"), 0.1), (
        "a str stays a str"
    )
    memory = backend_from_kind("memory", value=True)
    assert isinstance(memory, MemoryBackend)
    assert memory.peek() is True


@pytest.mark.parametrize(
    ("kind", "kwargs", "needle"),
    [
        ("mongo", {}, "Unsupported backend type: 'mongo'; use one of: 'env', 'file', 'memory', 'redis'"),
        ("file", {"path": "/x"}, "does not take path; it accepts: file_path, check_interval"),
        ("file", {}, "Backend kind 'file'"),
        ("env", {"var_name": "1BAD"}, "var_name: must be an environment variable name"),
        ("redis", {"url": "http://x"}, "url: must start with redis://"),
        ("redis", {}, "Backend kind 'redis'"),
        ("memory", {"var_name": "X"}, "does not take var_name; it accepts: value"),
    ],
)
def test_backend_from_kind_errors(kind: str, kwargs: Dict[str, Any], needle: str) -> None:
    with pytest.raises(MaintenanceConfigError) as caught:
        backend_from_kind(kind, **kwargs)
    assert needle in str(caught.value)
