"""Maintenance mode for FastAPI and any Starlette/ASGI application."""

from __future__ import annotations

from .backends.base import BaseStateBackend
from .control import configure_backend, get_maintenance_mode, get_maintenance_state, set_maintenance_mode
from .decorators import force_maintenance_mode_off, force_maintenance_mode_on
from .errors import MaintenanceConfigError
from .middleware import ConfiguredMaintenanceMiddleware, MaintenanceModeMiddleware
from .overrides import maintenance_mode_off, maintenance_mode_on
from .record import MaintenanceState
from .rules import Decision, Facts, Reason, decide, global_state
from .settings import MaintenanceSettings, load_settings

__version__ = "0.1.0"

__all__ = [
    "BaseStateBackend",
    "ConfiguredMaintenanceMiddleware",
    "Decision",
    "Facts",
    "MaintenanceConfigError",
    "MaintenanceModeMiddleware",
    "MaintenanceSettings",
    "MaintenanceState",
    "Reason",
    "__version__",
    "configure_backend",
    "decide",
    "force_maintenance_mode_off",
    "force_maintenance_mode_on",
    "get_maintenance_mode",
    "get_maintenance_state",
    "global_state",
    "load_settings",
    "maintenance_mode_off",
    "maintenance_mode_on",
    "set_maintenance_mode",
]
