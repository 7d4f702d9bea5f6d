"""Which state backend to use: the ``backend`` setting, as a string or a table, normalised to small models.

String forms: ``"env"``, ``"env:VAR_NAME"``, ``"file:///absolute/path"``, ``"memory"``,
``"redis://host:6379/0"`` (``"rediss://"`` for TLS). Table forms carry a ``type``:
``{type = "env", var_name = "..."}``, ``{type = "file", path = "..."}``,
``{type = "memory"}``, ``{type = "redis", url = "...", key = "..."}``.
Each kind's config model here carries its string form (``prefixes`` and ``from_string``).
Building the backend object from a config is the registry's, in ``fastapi_maintenance.backends.factory``,
which imports this module; settings never import backends.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Dict, Literal, Optional, Tuple, Type, Union, get_args
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from typing_extensions import Annotated

from .values import validate_env_var_name, validate_path_text

__all__ = [
    "BACKEND_TABLE_TYPES",
    "BACKEND_TYPES",
    "CONFIG_MODELS",
    "DEFAULT_ENV_VAR",
    "DEFAULT_REDIS_KEY",
    "BackendConfig",
    "EnvBackendConfig",
    "FileBackendConfig",
    "MemoryBackendConfig",
    "RedisBackendConfig",
    "backend_from_string",
    "normalise_backend",
    "redact_url_credentials",
    "table_from_string",
]

#: The env backend's variable when none is named (0.0.5's name).
DEFAULT_ENV_VAR = "FASTAPI_MAINTENANCE_MODE"
DEFAULT_REDIS_KEY = "fastapi_maintenance:mode"
BACKEND_STRING_FORMS = (
    "'env', 'env:VAR_NAME', 'file:///absolute/path', 'memory', 'redis://host:6379/0' ('rediss://' for TLS)"
)
_CREDENTIALS = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s]*@")
#: redis-py also reads credentials from the query (``?password=...&username=...``).
_QUERY_CREDENTIALS = re.compile(r"([?&;](?:password|username)=)[^&;#\s'\"]*", re.IGNORECASE)


def redact_url_credentials(text: str) -> str:
    """``text`` with any ``user:password@`` in its URLs as ``***@``, and credential query values as ``***``."""
    return _QUERY_CREDENTIALS.sub(r"\1***", _CREDENTIALS.sub(r"\1***@", text))


def _absolute_path(value: Path) -> Path:
    """Relative paths from the environment or keyword arguments resolve against the current directory.

    (Relative paths written in a config file were already resolved against its folder when it was read.)
    """
    if str(value) == "" or str(value) == ".":
        raise ValueError("must be the path of a file, not empty")
    validate_path_text(str(value))
    return value if value.is_absolute() else Path.cwd() / value


def _validate_redis_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("redis", "rediss"):
        raise ValueError("must start with redis:// (or rediss:// for TLS), like redis://host:6379/0")
    if not parts.hostname:
        raise ValueError("must name a host, like redis://host:6379/0")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port lazily
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    database = parts.path.lstrip("/")
    if database and not database.isdigit():
        raise ValueError("database (the path) must be a number, like redis://host:6379/0")
    return url


def _validate_redis_key(key: str) -> str:
    if not key:
        raise ValueError("must not be empty")
    return key


class _BackendModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The schemes of the string form (``"env"``, ``"env:NAME"`` -> ``env``).
    prefixes: ClassVar[Tuple[str, ...]] = ()

    @classmethod
    def from_string(cls, text: str, rest: Optional[str]) -> Optional[Dict[str, Any]]:
        """The table form of ``text`` (``rest``: after the first colon, or None); None when not of this kind."""
        return {"type": cls.model_fields["type"].default} if rest is None else None


class EnvBackendConfig(_BackendModel):
    """The state comes from an environment variable, read-only at runtime."""

    type: Literal["env"] = Field(default="env", description="'env': the state is an environment variable.")
    var_name: Annotated[str, AfterValidator(validate_env_var_name)] = Field(
        default=DEFAULT_ENV_VAR,
        description="Name of the environment variable holding the state (1/0, on/off, true/false, yes/no).",
    )

    prefixes = ("env",)

    @classmethod
    def from_string(cls, text: str, rest: Optional[str]) -> Optional[Dict[str, Any]]:
        if rest is None:
            return {"type": "env"}
        if not rest:
            raise ValueError("'env:' needs a variable name, like 'env:MY_APP_MAINTENANCE'")
        return {"type": "env", "var_name": rest}


class FileBackendConfig(_BackendModel):
    """The state is a small text file holding 1 or 0, shared by the processes of one host."""

    type: Literal["file"] = Field(
        default="file", description="'file': the state is a text file holding 1 or 0."
    )
    path: Annotated[Path, AfterValidator(_absolute_path)] = Field(
        description="Path of the state file; a relative path resolves against the config file's folder.",
    )

    prefixes = ("file",)

    @classmethod
    def from_string(cls, text: str, rest: Optional[str]) -> Optional[Dict[str, Any]]:
        if rest is None:
            return None
        parts = urlsplit(text)
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/") or parts.query or parts.fragment:
            raise ValueError(
                "a file backend string must be an absolute file URL, 'file:///absolute/path'; "
                'for a relative path use the table form {type = "file", path = "state.txt"}'
            )
        return {"type": "file", "path": path}


class MemoryBackendConfig(_BackendModel):
    """The state lives in this process only (tests, single-process apps)."""

    type: Literal["memory"] = Field(
        default="memory", description="'memory': the state lives in this process only."
    )

    prefixes = ("memory",)


class RedisBackendConfig(_BackendModel):
    """The state lives in Redis and is shared by every worker and host (the ``redis`` extra)."""

    type: Literal["redis"] = Field(default="redis", description="'redis': the state is shared through Redis.")
    url: Annotated[str, AfterValidator(_validate_redis_url)] = Field(
        repr=False,
        description="Redis URL: redis://[user:password@]host:6379/0, or rediss:// for TLS.",
    )
    key: Annotated[str, AfterValidator(_validate_redis_key)] = Field(
        default=DEFAULT_REDIS_KEY, description="Redis key holding the state (and naming its pub/sub channel)."
    )

    prefixes = ("redis", "rediss")

    @classmethod
    def from_string(cls, text: str, rest: Optional[str]) -> Optional[Dict[str, Any]]:
        return {"type": "redis", "url": text} if rest is not None and rest.startswith("//") else None


BackendConfig = Annotated[
    Union[EnvBackendConfig, FileBackendConfig, MemoryBackendConfig, RedisBackendConfig],
    Field(discriminator="type"),
]

#: The config model of each kind, by its ``type``, read off the union above.
CONFIG_MODELS: Dict[str, Type[_BackendModel]] = {
    model.model_fields["type"].default: model for model in get_args(get_args(BackendConfig)[0])
}
BACKEND_TYPES = tuple(CONFIG_MODELS)
#: How the table form names its kind, for messages.
BACKEND_TABLE_TYPES = "type = " + " | ".join(repr(kind) for kind in BACKEND_TYPES)


_BY_PREFIX: Dict[str, Type[_BackendModel]] = {
    prefix: model for model in CONFIG_MODELS.values() for prefix in model.prefixes
}


def table_from_string(text: str) -> Optional[Dict[str, Any]]:
    """The table form of a backend string, None when no kind claims it; ValueError when its kind refuses it."""
    value = text.strip()
    scheme, colon, rest = value.partition(":")
    model = _BY_PREFIX.get(scheme.lower())
    if model is None:
        return None
    return model.from_string(value, rest if colon else None)


def backend_from_string(text: str) -> Dict[str, Any]:
    """The table form of a backend string; ValueError (never echoing the text) when it is not one."""
    table = table_from_string(text)
    if table is None:
        raise ValueError(f"not a backend; use {BACKEND_STRING_FORMS} or a table with {BACKEND_TABLE_TYPES}")
    return table


def normalise_backend(value: Any) -> Any:
    """Before-validator for the ``backend`` key: strings become tables, everything else passes on."""
    if isinstance(value, str):
        return backend_from_string(value)
    return value
