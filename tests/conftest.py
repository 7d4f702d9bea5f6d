"""Shared fixtures: a clean environment and no leftover default backend between tests, the anyio backend,
and private redis-servers on 127.0.0.1 (skipped with an install hint when the binary is missing)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import List

import pytest

from fastapi_maintenance.control import _Defaults
from tests.redis_support import RedisServer, running_redis
from tests.support.processes import SETTINGS_PREFIX

# Folders and files (under tests/) whose every test starts processes, servers or load: all slow.
SLOW_PATHS = (
    "integration/",
    "bench/",
    "compat/",
    "cli/test_cli_processes.py",
    "cli/test_cli_app_agreement.py",
    "cli/test_cli_original_status.py",
    "core/test_startup_arguments.py",
    "records/test_shared_file.py",
)


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark ``slow`` every test that runs a real uvicorn server (``http``) or lives in a slow path."""
    tests_root = Path(__file__).resolve().parent
    for item in items:
        where = item.path.relative_to(tests_root).as_posix() if item.path.is_relative_to(tests_root) else ""
        if where.startswith(SLOW_PATHS) or item.get_closest_marker("http") is not None:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def _empty_working_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests start in an empty folder, so a maintenance.toml where pytest was started is never read."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("working-directory"))
        yield


@pytest.fixture(autouse=True)
def _clean_maintenance_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No FASTAPI_MAINTENANCE_* variable from the outer environment leaks into a test."""
    for name in list(os.environ):
        if name.startswith(SETTINGS_PREFIX):
            monkeypatch.delenv(name)
    saved = _Defaults.configured, _Defaults.fallback, _Defaults.latest, _Defaults.declared
    saved_built_any = _Defaults.built_any
    _Defaults.configured = _Defaults.fallback = _Defaults.latest = None
    _Defaults.declared = []
    _Defaults.built_any = False  # each test starts as a fresh process would: nothing built yet
    yield
    _Defaults.configured, _Defaults.fallback, _Defaults.latest, _Defaults.declared = saved
    _Defaults.built_any = saved_built_any


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server shared by the session (no persistence): tests use keys of their own and leave it running.

    A test that stops, freezes or counts the clients of its server takes ``private_redis`` instead.
    """
    with running_redis(tmp_path_factory.mktemp("redis-shared")) as server:
        yield server


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, free to be stopped, frozen and restarted on the same port."""
    with running_redis(tmp_path) as server:
        yield server
