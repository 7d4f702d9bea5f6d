"""Settings: a typed model loaded from keyword arguments, ``FASTAPI_MAINTENANCE_*`` and a TOML/YAML file."""

from __future__ import annotations

from .admin import AdminSettings
from .backend import (
    BackendConfig,
    EnvBackendConfig,
    FileBackendConfig,
    MemoryBackendConfig,
    RedisBackendConfig,
)
from .globs import PathMatcher, compile_path_globs
from .loading import load_settings, load_settings_with_sources
from .model import BypassSettings, FaultPolicy, MaintenanceSettings, ResponseSettings, WindowSettings
from .sources import CONFIG_ENV_VAR, ENV_PREFIX, RESERVED_ENV_VARS
from .values import RetryAfter, format_retry_after

__all__ = [
    "AdminSettings",
    "CONFIG_ENV_VAR",
    "ENV_PREFIX",
    "RESERVED_ENV_VARS",
    "BackendConfig",
    "BypassSettings",
    "EnvBackendConfig",
    "FaultPolicy",
    "FileBackendConfig",
    "MaintenanceSettings",
    "MemoryBackendConfig",
    "PathMatcher",
    "RedisBackendConfig",
    "ResponseSettings",
    "RetryAfter",
    "WindowSettings",
    "compile_path_globs",
    "format_retry_after",
    "load_settings",
    "load_settings_with_sources",
]
