"""Random config documents and environment values: the only outcomes are valid settings or a
MaintenanceConfigError whose message names the source (the file, or the environment variable)."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_maintenance import MaintenanceConfigError, MaintenanceSettings, load_settings
from tests.settings.conftest import toml_dumps, yaml_dumps

KEYS = [
    *MaintenanceSettings.model_fields,
    "type",
    "path",
    "url",
    "secret",
    "max_age",
    "start",
    "end",
    "message",
]
NAMES = st.one_of(
    st.sampled_from(KEYS), st.text(st.characters(codec="utf-8", categories=["L", "N", "Pc"]), max_size=8)
)
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20
)
SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.sampled_from(["memory", "env", "file:///tmp/x", "redis://127.0.0.1:6379/0", "10.0.0.0/8", "/health*"]),
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([timezone.utc]),
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES.filter(bool), inner, max_size=3),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS) | NAMES.filter(bool), VALUES, max_size=5)
RAW_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)
ENV = st.dictionaries(
    st.sampled_from(
        [f"FASTAPI_MAINTENANCE_{key.upper()}" for key in MaintenanceSettings.model_fields]
        + [
            "FASTAPI_MAINTENANCE_RESPONSE__MESSAGE",
            "FASTAPI_MAINTENANCE_BYPASS__SECRET",
            "FASTAPI_MAINTENANCE_X",
        ]
    ),
    TEXT | st.sampled_from(['["/a"]', "{}", '{"type": "memory"}', "[" * 50, "1e400", "true"]),
    max_size=3,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(path: Path, env: Dict[str, str]) -> None:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        load_settings(path)
    except MaintenanceConfigError as exc:
        message = str(exc)
        named = (
            str(path) in message or any(name in message for name in env) or "environment variable" in message
        )
        assert named, message
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _write(suffix: str, text: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path = folder / f"maintenance{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


@FUZZ
@given(document=DOCUMENTS, env=ENV, suffix=st.sampled_from([".toml", ".yaml"]))
def test_random_documents_and_environment(document: Dict[str, Any], env: Dict[str, str], suffix: str) -> None:
    text = toml_dumps(document) if suffix == ".toml" else yaml_dumps(document)
    _outcome(_write(suffix, text), env)


@FUZZ
@given(text=RAW_TEXT, suffix=st.sampled_from([".toml", ".yaml", ".yml"]))
def test_random_text_as_a_config_file(text: str, suffix: str) -> None:
    _outcome(_write(suffix, text), {})
