"""Readable errors and value origins: pydantic's ValidationError turned into one clear message.

Each problem names the dotted key (``response.status_code``, ``windows.0.end``), the
source that supplied the bad value (a file, an environment variable or a keyword
argument), the value itself (secrets hidden, URL passwords masked) and what is allowed.
"""

from __future__ import annotations

import difflib
import typing
from datetime import date, datetime
from typing import Any, Dict, List, Tuple, Type, Union

from pydantic import BaseModel, SecretStr, ValidationError

from ..errors import MaintenanceConfigError
from .backend import BACKEND_STRING_FORMS, BACKEND_TABLE_TYPES, BACKEND_TYPES, redact_url_credentials
from .sources import LoadContext, Loc
from .values import MAX_BYPASS_MAX_AGE, MAX_SECRET_LENGTH, MIN_SECRET_LENGTH

__all__ = ["ALLOWED", "config_error", "dotted", "is_secret_key", "value_sources"]

_GLOBS = "path globs starting with '/' ('*' within a segment, '**' across segments)"
_IPS = "IPv4/IPv6 addresses or CIDR ranges such as '10.0.0.0/8'"
_DATETIME = "an RFC 3339 date-time with a UTC offset, such as 2031-01-02T03:04:05Z"
_TOKEN = "an HTTP token (letters, digits and !#$%&'*+-.^_`|~)"

#: What each key accepts, by dotted key with list indices written as ``*``.
ALLOWED: Dict[str, str] = {
    "enabled": "true or false (leave it out to follow the backend)",
    "backend": f"{BACKEND_STRING_FORMS}, or a table with {BACKEND_TABLE_TYPES}",
    "backend.type": ", ".join(repr(kind) for kind in BACKEND_TYPES),
    "backend.var_name": "an environment variable name",
    "backend.path": "the path of the state file",
    "backend.url": "redis://[user:password@]host:6379/0 or rediss://...",
    "backend.key": "a non-empty Redis key",
    "exempt_paths": f"a list of {_GLOBS}",
    "exempt_paths.*": _GLOBS,
    "maintenance_paths": f"a list of {_GLOBS}",
    "maintenance_paths.*": _GLOBS,
    "exempt_docs": "true or false",
    "retry_after": f"whole seconds >= 0, or {_DATETIME}",
    "response": "a table with status_code, message, template",
    "response.status_code": "an integer from 400 to 599",
    "response.message": "a string",
    "response.template": "the path of an existing Jinja2 template file",
    "on_backend_error": "'last_known', 'open' or 'closed'",
    "backend_timeout": "seconds, a number greater than 0 and at most 60",
    "read_only": "true or false",
    "forwarded_header": "'X-Forwarded-For', 'Forwarded' or 'X-Real-IP'",
    "allowed_ips": f"a list of {_IPS}",
    "allowed_ips.*": _IPS,
    "trusted_proxies": f"a list of {_IPS}",
    "trusted_proxies.*": _IPS,
    "admin": "a table with tokens",
    "admin.tokens": 'a table of token names to hashes, e.g. { deploy-bot = "sha256:..." }',
    "admin.tokens.*": "'sha256:' and 64 lowercase hex digits, as 'fastapi-maintenance admin-token NAME' prints it",
    "bypass": "a table with secret (required), param, header, cookie, max_age",
    "bypass.secret": (
        f"at least {MIN_SECRET_LENGTH} characters (at most {MAX_SECRET_LENGTH}, printable, "
        "no surrounding whitespace or newline)"
    ),
    "bypass.param": _TOKEN,
    "bypass.header": _TOKEN,
    "bypass.cookie": _TOKEN,
    "bypass.max_age": f"whole seconds > 0, at most {MAX_BYPASS_MAX_AGE} ({MAX_BYPASS_MAX_AGE // 86400} days)",
    "windows": "a list of tables with start, end and an optional message",
    "windows.*": "a table with start, end and an optional message",
    "windows.*.start": _DATETIME,
    "windows.*.end": f"{_DATETIME}, after start",
    "windows.*.message": "a string",
}

#: A key naming one of these words holds a secret: its value is never shown.
_SECRET_WORDS = ("secret", "password")
#: Keys (and everything below them) whose values are never shown either: a token pasted where its hash belongs.
_SECRET_KEYS = ("admin.tokens",)
_PREFIXES = ("Value error, ", "Assertion failed, ")


def dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def _pattern(loc: Loc) -> str:
    return ".".join("*" if isinstance(part, int) else str(part) for part in loc)


def _strip_union_tags(loc: Loc) -> Tuple[Loc, Loc]:
    """(loc without the discriminator tag pydantic inserts after ``backend``, the raw loc for model lookup)."""
    if len(loc) >= 2 and loc[0] == "backend" and loc[1] in BACKEND_TYPES:
        return (loc[0], *loc[2:]), loc
    return loc, loc


def is_secret_key(key: str) -> bool:
    """Whether the value of the dotted ``key`` is a secret, never to be shown."""
    lowered = key.lower()
    if any(lowered == secret or lowered.startswith(secret + ".") for secret in _SECRET_KEYS):
        return True
    return any(word in lowered for word in _SECRET_WORDS)


def _show(value: Any, key: str) -> str:
    if isinstance(value, SecretStr) or is_secret_key(key):
        return "<hidden>"
    if isinstance(value, (datetime, date)):
        text = value.isoformat()
    elif isinstance(value, str):
        text = repr(value)
    else:
        text = repr(value)
    text = redact_url_credentials(text)
    return text if len(text) <= 80 else text[:77] + "..."


def _unwrap_models(annotation: Any) -> List[Type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is Union or origin in (list, List) or origin is typing.Annotated:
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            args = args[:1]
        return [model for arg in args for model in _unwrap_models(arg)]
    return []


def _keys_at(settings_cls: Type[BaseModel], raw_loc: Loc) -> List[str]:
    """The valid keys of the table at ``raw_loc`` (which may include a backend's type tag)."""
    models: List[Type[BaseModel]] = [settings_cls]
    for part in raw_loc:
        if isinstance(part, int):
            continue
        next_models: List[Type[BaseModel]] = []
        for model in models:
            info = model.model_fields.get(part)
            if info is not None:
                next_models.extend(_unwrap_models(info.annotation))
            elif "type" in model.model_fields and model.model_fields["type"].default == part:
                next_models.append(model)  # a discriminated union's tag: keep the member it names
        models = next_models
    keys: List[str] = []
    for model in models:
        keys.extend(key for key in model.model_fields if key not in keys)
    return keys


def _problem(error: Dict[str, Any], context: LoadContext, settings_cls: Type[BaseModel]) -> str:
    loc, raw_loc = _strip_union_tags(tuple(error["loc"]))
    kind = error["type"]
    message = str(error["msg"])
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = dotted((*loc, "type"))
        where = context.source_of(loc)
        allowed_types = ALLOWED["backend.type"]
        if kind == "union_tag_not_found":
            return f"{key}: missing in the table from {where}; a backend table needs type = {allowed_types}"
        tag = error.get("ctx", {}).get("tag", "")
        return f"{key} = {_show(tag, key)} (from {where}) is not a backend type; allowed: {allowed_types}"
    key = dotted(loc)
    if kind == "extra_forbidden":
        name = str(loc[-1])
        valid = _keys_at(settings_cls, raw_loc[:-1])
        close = difflib.get_close_matches(name, valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (
            f"{key}: unknown key (from {context.source_of(loc)}){hint}; "
            f"valid keys{' in ' + dotted(loc[:-1]) if len(loc) > 1 else ''}: {', '.join(valid)}"
        )
    allowed = ALLOWED.get(_pattern(loc))
    # Our own validators (value_error) already say what is allowed; pydantic's built-in messages do not.
    tail = f"; allowed: {allowed}" if allowed and kind != "value_error" else ""
    if kind == "missing":
        return f"{key}: required but missing (in {context.source_of(loc[:-1])}){tail}"
    shown = _show(error.get("input"), key)
    return f"{key} = {shown} (from {context.source_of(loc)}): {message}{tail}"


def config_error(
    exc: ValidationError, context: LoadContext, settings_cls: Type[BaseModel]
) -> MaintenanceConfigError:
    """One MaintenanceConfigError listing every problem in ``exc``."""
    problems = [_problem(dict(error), context, settings_cls) for error in exc.errors(include_url=False)]
    where = f" (config file {context.config_file})" if context.config_file is not None else ""
    if len(problems) == 1:
        return MaintenanceConfigError(f"Invalid maintenance settings{where}: {problems[0]}")
    listed = "\n".join(f"  - {problem}" for problem in problems)
    return MaintenanceConfigError(f"Invalid maintenance settings{where}:\n{listed}")


def value_sources(settings: BaseModel, context: LoadContext) -> Dict[str, str]:
    """For each key (nested tables expanded), the source its effective value came from.

    Labels: ``"keyword argument"``, ``"environment variable FASTAPI_MAINTENANCE_X"``,
    ``"file /path/to/config.toml"``, ``"default"``. ``backend`` is one key: it is replaced as a whole.
    """
    result: Dict[str, str] = {}
    for name, info in type(settings).model_fields.items():
        sections = _unwrap_models(info.annotation) if name != "backend" else []
        if len(sections) == 1 and typing.get_origin(info.annotation) not in (list, List):
            for sub in sections[0].model_fields:
                result[f"{name}.{sub}"] = context.source_of((name, sub))
        else:
            result[name] = context.source_of((name,))
    return result
