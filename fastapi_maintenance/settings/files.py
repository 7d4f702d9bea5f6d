"""Reading one config file (TOML or YAML by suffix) into a plain dict, with errors naming file and line.

The parsers are optional dependencies on some set-ups (tomli before Python 3.11,
PyYAML), so they are imported only when a file of that kind is read.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict

from ..errors import MaintenanceConfigError, require_extra

__all__ = ["SUFFIXES", "parse_toml", "parse_yaml", "parser_for", "read_text"]

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_text(path: Path, origin: str = "") -> str:
    """The file's text; MaintenanceConfigError naming the path when it cannot be read."""
    named_by = f" ({origin})" if origin else ""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MaintenanceConfigError(f"Config file not found: {path}{named_by}") from None
    except IsADirectoryError:
        raise MaintenanceConfigError(f"Config file {path}{named_by} is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise MaintenanceConfigError(f"Config file {path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise MaintenanceConfigError(f"Config file {path}{named_by} cannot be read: {exc.strerror}") from None


def parse_toml(text: str, path: Path) -> Dict[str, Any]:
    """A TOML document as a dict; syntax errors name the file, line and column."""
    if sys.version_info >= (3, 11):
        import tomllib as toml_module
    else:  # pragma: no cover - Python < 3.11 only
        toml_module = require_extra("tomli", extra="toml", purpose=f"Reading {path} (TOML on Python < 3.11)")
    try:
        data: Dict[str, Any] = toml_module.loads(text)
    except toml_module.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        reason = _TOML_POSITION.sub("", message).strip()
        if position:
            where = f"line {position.group(1)}, column {position.group(2)}"
        elif "end of document" in message:
            reason = reason.replace("(at end of document)", "").strip()
            where = f"line {len(text.splitlines()) or 1} (end of file)"
        else:
            where = "unknown line"
        raise MaintenanceConfigError(f"{path}: TOML syntax error at {where}: {reason}") from None
    return data


def parse_yaml(text: str, path: Path) -> Dict[str, Any]:
    """A YAML document (safe loader) as a dict; syntax errors name the file, line and column."""
    yaml = require_extra("yaml", extra="yaml", purpose=f"Reading {path} (YAML)")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown line"
        problem = getattr(exc, "problem", None) or str(exc)
        raise MaintenanceConfigError(f"{path}: YAML syntax error at {where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MaintenanceConfigError(
            f"{path}: the top level must be a mapping of settings keys (like 'retry_after: 600'), "
            f"not a {type(data).__name__}"
        )
    for key in _all_keys(data):
        if not isinstance(key, str):
            raise MaintenanceConfigError(f"{path}: every key must be a string, got {key!r}")
    return data


def _all_keys(value: Any) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _all_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _all_keys(item)


Parser = Callable[[str, Path], Dict[str, Any]]
SUFFIXES: Dict[str, Parser] = {".toml": parse_toml, ".yaml": parse_yaml, ".yml": parse_yaml}


def parser_for(path: Path) -> Parser:
    """The parser for a file's suffix; MaintenanceConfigError for any other suffix."""
    parser = SUFFIXES.get(path.suffix.lower())
    if parser is None:
        raise MaintenanceConfigError(
            f"Config file {path}: unsupported suffix {path.suffix!r}; use .toml, .yaml or .yml"
        )
    return parser
