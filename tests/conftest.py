"""Shared fixtures: a clean environment and no leftover default backend between tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fastapi_maintenance.control import _Defaults


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
        if name.startswith("FASTAPI_MAINTENANCE_"):
            monkeypatch.delenv(name)
    saved = _Defaults.configured, _Defaults.fallback, _Defaults.latest, _Defaults.declared
    _Defaults.configured = _Defaults.fallback = _Defaults.latest = None
    _Defaults.declared = []
    yield
    _Defaults.configured, _Defaults.fallback, _Defaults.latest, _Defaults.declared = saved
