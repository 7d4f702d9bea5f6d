"""Generate docs/reference/configuration.md from the settings model and its JSON Schema.

Run from the repository root after changing a setting::

    python -m tests.docs.generate_reference > docs/reference/configuration.md

``tests/docs/test_reference.py`` fails while the committed page differs from this output, so the
reference cannot drift from the code.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Optional, Tuple

from pydantic import BaseModel

from fastapi_maintenance.settings import (
    ENV_PREFIX,
    AdminSettings,
    BypassSettings,
    MaintenanceSettings,
    ResponseSettings,
    WindowSettings,
)
from fastapi_maintenance.settings.schema import config_json_schema

COMMAND = "python -m tests.docs.generate_reference > docs/reference/configuration.md"
Node = Dict[str, Any]
ENVIRONMENT_LABEL = "Environment:"


def _resolve(node: Node, defs: Dict[str, Node]) -> Node:
    ref = node.get("$ref")
    return defs[ref.rsplit("/", 1)[-1]] if isinstance(ref, str) else node


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def type_text(node: Node, defs: Dict[str, Node]) -> str:
    """A short human description of a schema node's type."""
    if "$ref" in node:
        return "table"
    options = node.get("anyOf") or node.get("oneOf")
    if options:
        nullable = any(option.get("type") == "null" for option in options)
        parts = [type_text(option, defs) for option in options if option.get("type") != "null"]
        text = " or ".join(dict.fromkeys(parts))
        return f"{text}, or not set" if nullable else text
    if "enum" in node:
        return " or ".join(f'`"{value}"`' for value in node["enum"])
    if "const" in node:
        return f'`"{node["const"]}"`'
    kind = node.get("type")
    if kind == "array":
        item = _resolve(node.get("items", {}), defs)
        return "list of tables" if item.get("type") == "object" else f"list of {type_text(item, defs)}s"
    if kind == "integer":
        low, high = node.get("minimum"), node.get("maximum")
        if low is not None and high is not None:
            return f"integer {low}-{high}"
        if low is not None:
            return f"integer >= {low}"
        if node.get("exclusiveMinimum") is not None:
            return f"integer > {node['exclusiveMinimum']}"
        return "integer"
    if kind == "number":
        low, high = node.get("exclusiveMinimum"), node.get("maximum")
        if low is not None and high is not None:
            return f"number > {low}, <= {high}"
        return "number"
    if kind == "string":
        fmt = node.get("format")
        if fmt == "date-time":
            return "date-time"
        if fmt == "path":
            return "path"
        if node.get("minLength"):
            return f"string (at least {node['minLength']} characters)"
        return "string"
    if kind == "boolean":
        return "boolean"
    if kind == "object" or "oneOf" in node:
        return "table"
    raise ValueError(f"no type text for schema node {node}")


def value_text(value: Any) -> str:
    """A default as it would be written in a TOML file."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, BaseModel):
        return "see below"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _model_default(model: type[BaseModel], name: str) -> Tuple[bool, Any]:
    """(has a default, the default) of a model field, calling default factories."""
    field = model.model_fields.get(name)
    if field is None or field.is_required():
        return False, None
    return True, field.get_default(call_default_factory=True)


def default_text(node: Node, model: Optional[type[BaseModel]], name: str) -> str:
    if "default" in node:
        return value_text(node["default"])
    if model is not None:
        has_default, value = _model_default(model, name)
        if has_default:
            return value_text(value)
    return "required"


def env_name(*keys: str) -> str:
    return "`" + ENV_PREFIX + "__".join(key.upper() for key in keys) + "`"


def _rows(
    properties: Dict[str, Node], defs: Dict[str, Node], model: Optional[type[BaseModel]], env: Any
) -> List[str]:
    # The environment variable goes in the wide description column: in a narrow column of its own the
    # theme breaks long identifiers mid-word (FASTAPI_MAIN TENANCE_ENAB LED).
    lines = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for name, node in properties.items():
        description = node.get("description") or _resolve(node, defs).get("description", "")
        lines.append(
            f"| `{name}` | {_cell(type_text(node, defs))} | {_cell(default_text(node, model, name))} "
            f"| {_cell(description)} {ENVIRONMENT_LABEL} {env(name)}. |"
        )
    return lines


def _section(
    title: str, intro: str, table: Node, defs: Dict[str, Node], model: Optional[type[BaseModel]], env: Any
) -> List[str]:
    return ["", f"## {title}", "", intro, "", *_rows(table["properties"], defs, model, env)]


def render() -> str:
    """The whole reference page."""
    schema = config_json_schema()
    defs: Dict[str, Node] = schema["$defs"]
    properties = {key: node for key, node in schema["properties"].items() if key != "$schema"}
    lines = [
        "# Configuration keys",
        "",
        "<!-- Generated from the settings model; do not edit. Regenerate with:",
        f"     {COMMAND} -->",
        "",
        "Every key of a config file (TOML or YAML), with its type, its default, the environment",
        "variable that sets it and what it does. Keyword arguments use the same names. Sources win in",
        "this order: keyword arguments, environment variables, the config file, the defaults; see",
        "[configuration](../configuration.md). In environment variables, lists and tables are JSON and",
        "keys inside a table are joined with `__`.",
        "",
        "## Top-level keys",
        "",
        *_rows(properties, defs, MaintenanceSettings, lambda name: env_name(name)),
    ]
    lines += _section(
        "`response`",
        "The maintenance response (see [custom responses](../responses.md)).",
        defs["ResponseSettings"],
        defs,
        ResponseSettings,
        lambda name: env_name("response", name),
    )
    lines += _section(
        "`bypass`",
        "Absent by default (no bypass). When present, `secret` is required. See "
        "[exemptions](../exemptions.md#a-bypass-secret).",
        defs["BypassSettings"],
        defs,
        BypassSettings,
        lambda name: env_name("bypass", name),
    )
    lines += _section(
        "`admin`",
        "Absent by default. The tokens that `admin_router()` accepts, by name; see "
        "[the admin API](../admin.md#tokens).",
        defs["AdminSettings"],
        defs,
        AdminSettings,
        lambda name: env_name("admin", name),
    )
    lines += _section(
        "`windows` entries",
        "Each entry of the `windows` list (`[[windows]]` in TOML). In the environment the whole list "
        f"is one JSON value, {env_name('windows')}. See "
        "[scheduled windows](../operations.md#scheduled-windows).",
        defs["WindowSettings"],
        defs,
        WindowSettings,
        lambda name: "in the JSON list",
    )
    lines += [
        "",
        "## `backend`",
        "",
        "A string, or a table whose `type` chooses the backend; "
        f"{env_name('backend')} takes the string form or a JSON table. String forms:",
        "",
        *[f"- `{example}`" for example in schema["properties"]["backend"]["anyOf"][0]["examples"]],
        "- `rediss://...` (Redis over TLS)",
        "",
        "Table forms, by `type`:",
    ]
    for definition in ("EnvBackendConfig", "FileBackendConfig", "MemoryBackendConfig", "RedisBackendConfig"):
        table = defs[definition]
        kind = table["properties"]["type"]["const"]
        lines += ["", f'### `type = "{kind}"`', "", _cell(table["description"].replace("``", "`")), ""]
        lines += _rows(table["properties"], defs, None, lambda name: "in the JSON table")
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
