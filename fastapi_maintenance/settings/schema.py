"""JSON Schema of the config file (TOML or YAML), generated from the settings model.

Editors use it to complete and check config files (``#:schema`` in TOML,
``# yaml-language-server: $schema=...`` in YAML). Regenerate the committed copy with::

    python -m fastapi_maintenance.settings.schema > schemas/maintenance.schema.json
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

from ..access import HTTP_TOKEN_CHARACTER
from ..access.admin_tokens import TOKEN_HASH_PATTERN, TOKEN_NAME_PATTERN
from .backend import BACKEND_TYPES, CONFIG_MODELS
from .model import DEFAULT_RETRY_AFTER, MaintenanceSettings
from .values import ENV_NAME_PATTERN

__all__ = ["config_json_schema", "main", "schema_text"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_BACKEND_STRING = r"^(env(:[A-Za-z_][A-Za-z0-9_]*)?|memory|file:(//(localhost)?)?/.+|rediss?://.+)$"
_DEF_NAMES = {kind: model.__name__ for kind, model in CONFIG_MODELS.items()}


def _drop_titles(node: Any) -> None:
    """Remove pydantic's generated per-property titles (noise in editors); keep descriptions."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for prop in properties.values():
                if isinstance(prop, dict):
                    prop.pop("title", None)
        for value in node.values():
            _drop_titles(value)
    elif isinstance(node, list):
        for item in node:
            _drop_titles(item)


def config_json_schema() -> Dict[str, Any]:
    """The JSON Schema of a config file: every key described, unknown keys rejected everywhere."""
    schema = MaintenanceSettings.model_json_schema(mode="validation")
    _drop_titles(schema)
    defs: Dict[str, Any] = schema["$defs"]
    properties: Dict[str, Any] = schema["properties"]

    for kind in BACKEND_TYPES:
        definition = defs[_DEF_NAMES[kind]]
        required: List[str] = definition.setdefault("required", [])
        if "type" not in required:
            required.insert(0, "type")
        definition["properties"]["type"].pop("default", None)
    defs["EnvBackendConfig"]["properties"]["var_name"]["pattern"] = ENV_NAME_PATTERN
    defs["RedisBackendConfig"]["properties"]["url"]["pattern"] = r"^rediss?://"
    for name in ("param", "header", "cookie"):
        defs["BypassSettings"]["properties"][name]["pattern"] = f"^{HTTP_TOKEN_CHARACTER}+$"
    tokens = defs["AdminSettings"]["properties"]["tokens"]
    tokens.pop("additionalProperties", None)
    tokens["patternProperties"] = {
        f"^{TOKEN_NAME_PATTERN}$": {
            "type": "string",
            "pattern": f"^{TOKEN_HASH_PATTERN}$",
            "description": "sha256: and 64 hex digits.",
        }
    }
    tokens["additionalProperties"] = False

    backend = properties["backend"]
    tables = {key: backend.pop(key) for key in ("oneOf", "discriminator") if key in backend}
    backend.pop("default", None)
    backend["default"] = "env"
    backend["anyOf"] = [
        {
            "type": "string",
            "pattern": _BACKEND_STRING,
            "description": "String form: env, env:VAR_NAME, file:///absolute/path, memory, redis://host:6379/0, rediss://...",
            "examples": [
                "env",
                "env:MY_APP_MAINTENANCE",
                "file:///var/run/myapp/maintenance",
                "memory",
                "redis://localhost:6379/0",
            ],
        },
        {"oneOf": tables["oneOf"], "description": "Table form, with type = env | file | memory | redis."},
    ]

    properties["retry_after"] = {
        "description": properties["retry_after"]["description"],
        "default": DEFAULT_RETRY_AFTER,
        "anyOf": [
            {"type": "integer", "minimum": 0, "description": "Whole seconds."},
            {"type": "string", "format": "date-time", "description": "RFC 3339 date-time with a UTC offset."},
        ],
    }
    for name in ("exempt_paths", "maintenance_paths"):
        properties[name]["items"]["pattern"] = "^/"
        properties[name]["items"]["description"] = "A path glob starting with '/'."
    for name in ("allowed_ips", "trusted_proxies"):
        properties[name]["items"]["description"] = "An IPv4/IPv6 address or CIDR range, e.g. 10.0.0.0/8."

    properties["$schema"] = {
        "type": "string",
        "description": "Where editors find this schema; ignored when loading.",
    }
    ordered: Dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "title": "fastapi-maintenance configuration",
        "description": (
            "Config file of fastapi-maintenance (TOML or YAML). Every key can also be set by an "
            "environment variable FASTAPI_MAINTENANCE_<KEY> (nested keys with '__', lists as JSON) "
            "or a keyword argument; those win over the file."
        ),
    }
    ordered.update({key: value for key, value in schema.items() if key not in ("title", "description")})
    return ordered


def schema_text() -> str:
    """The schema as the committed file holds it (2-space indent, trailing newline)."""
    return json.dumps(config_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Print the schema (``python -m fastapi_maintenance.settings.schema``)."""
    sys.stdout.write(schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
