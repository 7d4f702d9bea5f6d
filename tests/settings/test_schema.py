"""The committed JSON Schema is current, strict and described; the example config loads and validates."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import jsonschema
import pytest
import yaml

from fastapi_maintenance.settings import FileBackendConfig, MaintenanceSettings, load_settings
from fastapi_maintenance.settings.files import parse_toml
from fastapi_maintenance.settings.schema import config_json_schema, main, schema_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "maintenance.schema.json"
EXAMPLE = ROOT / "example.maintenance.toml"
REGENERATE = "python -m fastapi_maintenance.settings.schema > schemas/maintenance.schema.json"


def as_json_types(value: Any) -> Any:
    """What an editor checks: TOML/YAML date-times are strings to JSON Schema."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: as_json_types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json_types(item) for item in value]
    return value


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors_for(document: Dict[str, Any]) -> List[str]:
    return [error.message for error in validator().iter_errors(as_json_types(document))]


def walk(node: Any, path: str = "#") -> Iterator[Tuple[str, Dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), f"schema out of date; run: {REGENERATE}"


def test_module_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    assert json.loads(capsys.readouterr().out) == config_json_schema()


def test_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fastapi_maintenance.settings.schema"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")


def test_schema_is_valid_and_strict_everywhere() -> None:
    schema = config_json_schema()
    validator()  # check_schema
    objects = [(path, node) for path, node in walk(schema) if node.get("type") == "object"]
    assert objects
    for path, node in objects:
        assert node.get("additionalProperties") is False, path


def test_every_key_has_a_description() -> None:
    schema = config_json_schema()
    for path, node in walk(schema):
        for name, prop in node.get("properties", {}).items():
            if not isinstance(prop, dict) or ("$ref" in prop and len(prop) == 1):
                continue
            assert prop.get("description"), f"{path}/properties/{name}"
    assert set(MaintenanceSettings.model_fields) <= set(schema["properties"])


def test_schema_rejects_unknown_keys_and_bad_values() -> None:
    assert errors_for({"exempt_pathz": []})
    assert errors_for({"response": {"stauts_code": 500}})
    assert errors_for({"backend": {"type": "file", "pth": "x"}})
    assert errors_for({"backend": {"path": "x"}})
    assert errors_for({"backend": "mongo://x"})
    assert errors_for({"response": {"status_code": 700}})
    assert errors_for({"retry_after": -1})
    assert errors_for({"exempt_paths": ["health"]})
    assert errors_for({"on_backend_error": "retry"})
    assert errors_for({"bypass": {"secret": "short"}})
    assert errors_for({"bypass": {"param": "x"}})


@pytest.mark.parametrize(
    "backend",
    [
        "env",
        "env:MY_VAR",
        "memory",
        "file:///srv/state",
        "redis://h:6379/0",
        "rediss://h",
        {"type": "env", "var_name": "X"},
        {"type": "file", "path": "state.txt"},
        {"type": "memory"},
        {"type": "redis", "url": "redis://h", "key": "k"},
    ],
)
def test_schema_accepts_every_backend_form(backend: Any) -> None:
    assert errors_for({"backend": backend}) == []
    load_settings(backend=backend)  # and the loader agrees


def test_example_starts_with_the_schema_line_and_loads() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "#:schema ./schemas/maintenance.schema.json"
    assert (EXAMPLE.parent / "schemas" / "maintenance.schema.json").is_file()
    settings = load_settings(EXAMPLE)
    assert settings.exempt_paths == ["/health*", "/status"]
    assert errors_for(parse_toml(text, EXAMPLE)) == []


_OPTIONAL_LINE = re.compile(r"^# ((?:\[\[?[a-z_]+\]\]?)|(?:[a-z_]+ = .+))$")


def uncommented_example() -> str:
    """The example with its optional lines switched on (``# key = value`` and ``# [table]`` lines)."""
    return "\n".join(
        _OPTIONAL_LINE.sub(r"\1", line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
    )


def test_example_with_every_optional_line_switched_on(tmp_path: Path) -> None:
    (tmp_path / "maintenance.html").write_text("<p>{{ message }}</p>", encoding="utf-8")
    path = tmp_path / "maintenance.toml"
    text = uncommented_example()
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path)
    assert settings.enabled is True
    assert settings.response.template == tmp_path / "maintenance.html"
    assert settings.bypass is not None
    assert settings.bypass.max_age == 43200
    assert len(settings.windows) == 1
    assert errors_for(parse_toml(text, EXAMPLE)) == []


def test_example_documents_every_key() -> None:
    text = uncommented_example()
    data = parse_toml(text, EXAMPLE)
    for name in MaintenanceSettings.model_fields:
        assert name in data, name
    for section in ("response", "bypass"):
        model = MaintenanceSettings.model_fields[section].annotation
        keys = set(data[section])
        assert keys == set(config_json_schema()["$defs"][f"{section.capitalize()}Settings"]["properties"])
        assert model is not None
    assert set(data["windows"][0]) == {"start", "end", "message"}


def test_yaml_config_validates_too(tmp_path: Path) -> None:
    text = (
        "# yaml-language-server: $schema=./schemas/maintenance.schema.json\n"
        "backend: {type: file, path: state.txt}\n"
        "exempt_paths: [/health*, /admin/**]\n"
        "retry_after: 2031-01-02T03:04:05Z\n"
        "windows:\n  - {start: 2031-01-02T01:00:00+01:00, end: 2031-01-02T03:00:00Z}\n"
    )
    assert errors_for(yaml.safe_load(text)) == []
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_settings(path).backend == FileBackendConfig(path=tmp_path / "state.txt")
