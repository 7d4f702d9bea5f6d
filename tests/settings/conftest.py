"""Helpers for the settings tests: writing config files (a tiny TOML writer) and setting variables."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping

import pytest
import yaml

from tests.support.processes import write_config

WriteConfig = Callable[..., Path]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        # JSON string escapes are valid TOML basic-string escapes, except that TOML also forbids DEL.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else json.dumps(key)


def toml_dumps(data: Mapping[str, Any]) -> str:
    """TOML for the shapes settings use: scalars, lists, inline tables, [tables] and [[arrays of tables]]."""
    lines: List[str] = []
    tables: Dict[str, Mapping[str, Any]] = {}
    arrays: Dict[str, List[Mapping[str, Any]]] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and key != "backend":
            tables[key] = value
        elif isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            arrays[key] = value
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, table in tables.items():
        lines.append(f"[{_toml_key(key)}]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items())
    for key, items in arrays.items():
        for item in items:
            lines.append(f"[[{_toml_key(key)}]]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items())
    return "\n".join(lines) + "\n"


# PyYAML writes these raw with allow_unicode=True, then reads them back as line breaks folded into
# spaces: its own round trip loses them. Escaped (\N, \L, \P) they survive.
_YAML_RAW_LINE_BREAKS = ("\x85", "\u2028", "\u2029")


def yaml_dumps(data: Mapping[str, Any]) -> str:
    text = str(yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False))
    if any(character in text for character in _YAML_RAW_LINE_BREAKS):
        text = str(yaml.safe_dump(dict(data), allow_unicode=False, sort_keys=False))
    return text


def write_settings(folder: Path, name: str, data: Any = None, *, text: str = "") -> Path:
    """Write ``data`` (TOML or YAML by the name's suffix) or raw ``text`` to ``folder/name``."""
    if data is not None:
        text = toml_dumps(data) if name.endswith(".toml") else yaml_dumps(data)
    return write_config(folder, text, name)


@pytest.fixture
def write(tmp_path: Path) -> WriteConfig:
    """write(name, data) or write(name, text=...) -> the file's path, in this test's tmp_path."""

    def _write(name: str, data: Any = None, *, text: str = "") -> Path:
        return write_settings(tmp_path, name, data, text=text)

    return _write


@pytest.fixture(scope="session")
def to_toml() -> Callable[[Mapping[str, Any]], str]:
    return toml_dumps


@pytest.fixture(scope="session")
def to_yaml() -> Callable[[Mapping[str, Any]], str]:
    return yaml_dumps


@pytest.fixture(scope="session")
def writer() -> Callable[..., Path]:
    """write_settings(folder, name, data) for tests (Hypothesis) that manage their own folders."""
    return write_settings
