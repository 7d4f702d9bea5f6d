"""The registry of backend kinds is the one list: settings, string forms and configure_backend follow it."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_maintenance.backends.factory import KINDS, REGISTRY, backend_from_kind, build_backend
from fastapi_maintenance.settings import load_settings
from fastapi_maintenance.settings.backend import BACKEND_TYPES, CONFIG_MODELS

SAMPLES = {
    "env": "env:SOME_STATE",
    "file": "file:///srv/app/state",
    "memory": "memory",
    "redis": "redis://127.0.0.1:6399/0",
}


def test_every_settings_kind_is_registered_with_its_config_model() -> None:
    assert tuple(REGISTRY) == BACKEND_TYPES
    assert {name: kind.config for name, kind in REGISTRY.items()} == CONFIG_MODELS
    assert set(KINDS) == set(REGISTRY)
    assert set(SAMPLES) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_kind_round_trips_string_config_and_backend(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kind = REGISTRY[name]
    config = load_settings(backend=SAMPLES[name]).backend
    assert isinstance(config, kind.config)
    assert SAMPLES[name].split(":")[0] in kind.config.prefixes  # type: ignore[attr-defined]
    backend = build_backend(config)
    assert backend.describe().startswith(SAMPLES[name])  # redis adds its key


def test_configure_backend_kinds_come_from_the_registry(tmp_path: Path) -> None:
    backend = backend_from_kind("file", file_path=str(tmp_path / "s"))
    assert backend.describe() == f"file://{tmp_path / 's'}"
    with pytest.raises(
        ValueError, match="Unsupported backend type: 'nope'; use one of: 'env', 'file', 'memory', 'redis'"
    ):
        backend_from_kind("nope")
