"""Reading one config file (TOML or YAML by suffix) into a plain dict, with errors naming file and line.

The parsers are optional dependencies on some set-ups (tomli before Python 3.11,
PyYAML), so they are imported only when a file of that kind is read.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

from ..errors import MaintenanceConfigError, require_extra

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_FILE_SIZE",
    "SUFFIXES",
    "check_depth",
    "parse_toml",
    "parse_yaml",
    "parser_for",
    "read_text",
]

#: A config file is a few kilobytes; anything past 1 MiB is a mistake (a log, a device, an image).
MAX_FILE_SIZE = 1024 * 1024
#: Settings nest at most three levels; anything far deeper is not a settings document.
MAX_DEPTH = 32
#: Nodes a YAML document may have once its aliases are expanded (a "billion laughs" document has billions).
MAX_ALIAS_NODES = 100_000

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_text(path: Path, origin: str = "") -> str:
    """The file's text; MaintenanceConfigError naming the path when it cannot be read.

    Only a regular file is read (a FIFO would block, ``/dev/zero`` never ends), at most ``MAX_FILE_SIZE``
    bytes. It is opened without blocking and checked after opening, so a swap in between cannot slip by.
    """
    named_by = f" ({origin})" if origin else ""
    try:
        return _read_regular_file(path, named_by).decode("utf-8")
    except FileNotFoundError:
        raise MaintenanceConfigError(f"Config file not found: {path}{named_by}") from None
    except IsADirectoryError:
        raise MaintenanceConfigError(f"Config file {path}{named_by} is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise MaintenanceConfigError(f"Config file {path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise MaintenanceConfigError(f"Config file {path}{named_by} cannot be read: {exc.strerror}") from None


def _read_regular_file(path: Path, named_by: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(info.st_mode):
            raise MaintenanceConfigError(
                f"Config file {path}{named_by} is not a regular file (a FIFO, device or socket); refusing to read it"
            )
        if info.st_size > MAX_FILE_SIZE:
            raise _too_big(path, named_by)
        chunks: List[bytes] = []
        size = 0
        while size <= MAX_FILE_SIZE:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_SIZE:  # grew while being read
            raise _too_big(path, named_by)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_big(path: Path, named_by: str) -> MaintenanceConfigError:
    return MaintenanceConfigError(
        f"Config file {path}{named_by} is larger than {MAX_FILE_SIZE // 1024} KiB; "
        "a settings file is a few kilobytes"
    )


def check_depth(value: Any, where: str) -> None:
    """Refuse documents nested deeper than ``MAX_DEPTH`` (walked without recursion)."""
    stack: List[Tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= MAX_DEPTH:
            raise MaintenanceConfigError(
                f"{where}: nested more than {MAX_DEPTH} levels deep; not a settings document"
            )
        stack.extend((child, depth + 1) for child in children)


def parse_toml(text: str, path: Path) -> Dict[str, Any]:
    """A TOML document as a dict; syntax errors name the file, line and column."""
    if sys.version_info >= (3, 11):
        import tomllib as toml_module
    else:  # pragma: no cover - Python < 3.11 only
        toml_module = require_extra("tomli", extra="toml", purpose=f"Reading {path} (TOML on Python < 3.11)")
    try:
        data: Dict[str, Any] = toml_module.loads(text)
    except RecursionError:
        raise MaintenanceConfigError(
            f"{path}: TOML nested too deeply to read (more than {MAX_DEPTH} levels is never a settings file)"
        ) from None
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
    check_depth(data, str(path))
    return data


def parse_yaml(text: str, path: Path) -> Dict[str, Any]:
    """A YAML document (safe loader) as a dict; syntax errors name the file, line and column."""
    yaml = require_extra("yaml", extra="yaml", purpose=f"Reading {path} (YAML)")
    loader = None
    try:
        loader = _yaml_loader()(text)
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node, path)
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise MaintenanceConfigError(
            f"{path}: YAML nested too deeply to read (more than {MAX_DEPTH} levels is never a settings file)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown line"
        problem = getattr(exc, "problem", None) or str(exc)
        raise MaintenanceConfigError(f"{path}: YAML syntax error at {where}: {problem}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MaintenanceConfigError(
            f"{path}: the top level must be a mapping of settings keys (like 'retry_after: 600'), "
            f"not a {type(data).__name__}"
        )
    check_depth(data, str(path))
    for key in _all_keys(data):
        if not isinstance(key, str):
            raise MaintenanceConfigError(f"{path}: every key must be a string, got {key!r}")
    return data


@functools.lru_cache(maxsize=1)
def _yaml_loader() -> Any:
    """PyYAML's safe loader, refusing duplicate keys (PyYAML silently keeps the last one)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: Dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                    line = key_node.start_mark.line + 1
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None,
                            None,
                            f"duplicate key {key!r} (first at line {seen[key]}, again at line {line}); "
                            "remove one of them",
                            key_node.start_mark,
                        )
                    seen[key] = line
            return super().construct_mapping(node, deep=deep)

    return Loader


def _check_expansion(root: Any, path: Path) -> None:
    """Count the nodes the document has with every alias expanded; refuse a cycle or an alias bomb."""
    sizes: Dict[int, int] = {}
    in_progress: set[int] = set()
    stack: List[Tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        value = node.value
        children = (
            [part for pair in value for part in pair]
            if isinstance(value, list) and value and isinstance(value[0], tuple)
            else value
            if isinstance(value, list)
            else []
        )
        if children_done:
            in_progress.discard(key)
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > MAX_ALIAS_NODES:
                raise MaintenanceConfigError(
                    f"{path}: YAML aliases expand to more than {MAX_ALIAS_NODES} nodes (line "
                    f"{node.start_mark.line + 1}); a settings file needs no such thing"
                )
            sizes[key] = total
            continue
        if key in in_progress:
            raise MaintenanceConfigError(
                f"{path}: YAML alias at line {node.start_mark.line + 1} refers to a node containing itself"
            )
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


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
