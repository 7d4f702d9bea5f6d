"""State backends: where the maintenance flag lives. One module per backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import BackendUnavailable, BaseStateBackend, RecordNotSupported
from .env import MAINTENANCE_MODE_ENV_VAR_NAME, EnvVarBackend
from .file import LocalFileBackend
from .memory import MemoryBackend

if TYPE_CHECKING:
    from .redis import RedisBackend

__all__ = [
    "MAINTENANCE_MODE_ENV_VAR_NAME",
    "BackendUnavailable",
    "BaseStateBackend",
    "EnvVarBackend",
    "LocalFileBackend",
    "MemoryBackend",
    "RecordNotSupported",
    "RedisBackend",
]


def __getattr__(name: str) -> Any:
    # RedisBackend needs the optional `redis` extra: import it only when asked for.
    if name == "RedisBackend":
        from .redis import RedisBackend

        return RedisBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
