"""docs/reference/configuration.md is generated from the settings model and must match it."""

from __future__ import annotations

import json
import re
from typing import Dict

import pytest

from fastapi_maintenance import load_settings
from fastapi_maintenance.settings import MaintenanceSettings
from tests.docs.generate_reference import COMMAND, render
from tests.docs.markdown_blocks import ROOT

PAGE = ROOT / "docs" / "reference" / "configuration.md"


def test_the_committed_reference_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), f"the reference is out of date; run: {COMMAND}"


def _top_level_rows() -> Dict[str, Dict[str, str]]:
    text = render().split("## `response`")[0]
    rows: Dict[str, Dict[str, str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if len(cells) == 4 and cells[0].startswith("`"):
            key = cells[0].strip("`")
            env = re.search(r"Environment: `([A-Z_]+)`\.$", cells[3])
            assert env is not None, line
            rows[key] = {"type": cells[1], "default": cells[2], "env": env.group(1)}
    return rows


def test_identifiers_are_never_in_a_narrow_column() -> None:
    """Environment variable names sit in the description column, whole, never in a column of their own."""
    for line in render().splitlines():
        if line.startswith("| Key "):
            assert line == "| Key | Type | Default | Description |"
    assert "`FASTAPI_MAINTENANCE_ENABLED`" in render()


def test_every_key_is_listed() -> None:
    assert set(_top_level_rows()) == set(MaintenanceSettings.model_fields)


def test_each_listed_default_is_the_real_default() -> None:
    defaults = MaintenanceSettings()
    for key, row in _top_level_rows().items():
        shown = row["default"]
        actual = getattr(defaults, key)
        if shown == "not set":
            assert actual is None, key
        elif shown == "see below":
            assert actual is not None, key
        elif key == "backend":
            assert actual.type == json.loads(shown.strip("`")), key
        else:
            assert actual == json.loads(shown.strip("`")), key


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("enabled", "true", True),
        ("backend", "memory", "memory"),
        ("exempt_paths", '["/health*"]', ["/health*"]),
        ("maintenance_paths", '["/billing/**"]', ["/billing/**"]),
        ("exempt_docs", "false", False),
        ("retry_after", "120", 120),
        ("response", '{"status_code": 599}', 599),
        ("on_backend_error", "closed", "closed"),
        ("read_only", "true", True),
        ("allowed_ips", '["10.0.0.0/8"]', ["10.0.0.0/8"]),
        ("trusted_proxies", '["127.0.0.1"]', ["127.0.0.1"]),
        ("bypass", '{"secret": "0123456789abcdef"}', "0123456789abcdef"),
        ("windows", '[{"start": "2031-01-01T00:00:00Z", "end": "2031-01-01T01:00:00Z"}]', 1),
    ],
)
def test_each_listed_environment_variable_sets_its_key(
    key: str, value: str, expected: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = _top_level_rows()[key]["env"]
    assert re.fullmatch(r"FASTAPI_MAINTENANCE_[A-Z_]+", variable)
    monkeypatch.setenv(variable, value)
    settings = load_settings()
    actual = getattr(settings, key)
    if key == "backend":
        actual = actual.type
    elif key == "response":
        actual = actual.status_code
    elif key == "bypass":
        actual = actual.secret.get_secret_value()
    elif key == "windows":
        actual = len(actual)
    assert actual == expected
