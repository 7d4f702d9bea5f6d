"""The registry of backend kinds, and backend objects from configuration.

Each kind is registered once, in ``REGISTRY``: its name (the settings
``type`` and ``configure_backend``'s kind), its config model, the factory
building it from a validated config, and ``configure_backend``'s keyword
arguments. Adding a kind is its backend module, its config model (with its
string form) in the settings' backend union in ``settings/backend.py``
(pydantic needs that union when the settings model is built), and one
``BackendKind`` here. This module imports the settings; settings never import
backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Tuple, Type, Union

from pydantic import BaseModel

from ..errors import MaintenanceArgumentError, MaintenanceConfigError
from ..settings.backend import (
    EnvBackendConfig,
    FileBackendConfig,
    MemoryBackendConfig,
    RedisBackendConfig,
)
from .base import BaseStateBackend
from .env import EnvVarBackend
from .file import LocalFileBackend
from .memory import MemoryBackend

__all__ = ["KINDS", "REGISTRY", "BackendKind", "backend_from_kind", "build_backend"]

AnyBackendConfig = Union[EnvBackendConfig, FileBackendConfig, MemoryBackendConfig, RedisBackendConfig]


def _redis_backend(url: str, key: str) -> BaseStateBackend:
    try:
        from .redis import RedisBackend
    except ImportError as exc:
        if exc.name == "redis" or (exc.name or "").startswith("redis."):
            raise MaintenanceConfigError(
                "The redis backend needs the optional package 'redis': pip install \"fastapi-maintenance[redis]\""
            ) from None
        raise MaintenanceConfigError(
            f"The redis backend is not available in this installation: {exc}"
        ) from None
    backend: BaseStateBackend = RedisBackend(url, key=key)
    return backend


def build_backend(config: AnyBackendConfig) -> BaseStateBackend:
    """A new backend instance for a validated backend config (``settings.backend``)."""
    kind = REGISTRY.get(getattr(config, "type", ""))
    if kind is None or not isinstance(config, kind.config):
        raise MaintenanceConfigError(f"not a backend config: {type(config).__name__}")
    return kind.build(config)


def _env(var_name: Any = None) -> BaseStateBackend:
    if var_name is None:
        return EnvVarBackend()  # var_name stays None, as 0.0.5 kept it
    return build_backend(EnvBackendConfig.model_validate({} if var_name is None else {"var_name": var_name}))


def _file(file_path: Any, check_interval: float = 0.5) -> BaseStateBackend:
    config = FileBackendConfig.model_validate({"path": file_path})
    # Absolute, so a later chdir does not move the file; a str stays a str, as 0.0.5's file_path was.
    path = str(config.path) if isinstance(file_path, str) else config.path
    return LocalFileBackend(path, check_interval=check_interval)


def _memory(value: bool = False) -> BaseStateBackend:
    return MemoryBackend(value=bool(value))


def _redis(url: Any, key: Any = None) -> BaseStateBackend:
    fields: Dict[str, Any] = {"url": url} if key is None else {"url": url, "key": key}
    return build_backend(RedisBackendConfig.model_validate(fields))


@dataclass(frozen=True)
class BackendKind:
    """One kind of state backend: everything settings, ``configure_backend`` and the factory know of it."""

    name: str
    config: Type[BaseModel]
    #: A backend from a validated config.
    build: Callable[[Any], BaseStateBackend]
    #: ``configure_backend(name, **arguments)``.
    configure: Callable[..., BaseStateBackend]
    arguments: Tuple[str, ...]


REGISTRY: Dict[str, BackendKind] = {
    kind.name: kind
    for kind in (
        BackendKind(
            "env",
            EnvBackendConfig,
            lambda config: EnvVarBackend(config.var_name),
            _env,
            ("var_name",),
        ),
        BackendKind(
            "file",
            FileBackendConfig,
            lambda config: LocalFileBackend(config.path),
            _file,
            ("file_path", "check_interval"),
        ),
        BackendKind(
            "memory",
            MemoryBackendConfig,
            lambda config: MemoryBackend(),
            _memory,
            ("value",),
        ),
        BackendKind(
            "redis",
            RedisBackendConfig,
            lambda config: _redis_backend(config.url, config.key),
            _redis,
            ("url", "key"),
        ),
    )
}

#: configure_backend's kinds and the keyword arguments each accepts (a view of the registry).
KINDS: Dict[str, Tuple[Callable[..., BaseStateBackend], Tuple[str, ...]]] = {
    name: (kind.configure, kind.arguments) for name, kind in REGISTRY.items()
}


def backend_from_kind(kind: str, **kwargs: Any) -> BaseStateBackend:
    """``configure_backend``'s kinds: "env" (var_name), "file" (file_path), "memory", "redis" (url, key)."""
    entry = KINDS.get(kind) if isinstance(kind, str) else None
    if entry is None:
        raise MaintenanceConfigError(
            f"Unsupported backend type: {kind!r}; use one of: {', '.join(repr(name) for name in KINDS)}"
        )
    factory, accepted = entry
    unexpected = sorted(set(kwargs) - set(accepted))
    if unexpected:
        raise MaintenanceArgumentError(
            f"Backend kind {kind!r} does not take {', '.join(unexpected)}; "
            f"it accepts: {', '.join(accepted) or 'no arguments'}"
        )
    try:
        return factory(**kwargs)
    except TypeError as exc:  # a required argument is missing
        raise MaintenanceArgumentError(
            f"Backend kind {kind!r}: {exc}; it accepts: {', '.join(accepted)}"
        ) from None
    except ValueError as exc:
        if isinstance(exc, MaintenanceConfigError):
            raise
        raise MaintenanceConfigError(f"Backend kind {kind!r}: {_first_error(exc)}") from None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = []
        for error in errors(include_url=False):
            key = ".".join(str(part) for part in error["loc"]) or "value"
            message = str(error["msg"])
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            parts.append(f"{key}: {message}")
        return "; ".join(parts)
    return str(exc)
