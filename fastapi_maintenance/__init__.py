"""Maintenance mode for FastAPI and any Starlette/ASGI application.

The public names are loaded on first use, so a program that needs one part (the command-line
interface reading settings and backends, say) does not import the request stack with it.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any, Dict, List

if TYPE_CHECKING:
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

#: Each public name and the module that defines it.
_MODULES: Dict[str, str] = {
    "BaseStateBackend": ".backends.base",
    "ConfiguredMaintenanceMiddleware": ".middleware",
    "Decision": ".rules",
    "Facts": ".rules",
    "MaintenanceConfigError": ".errors",
    "MaintenanceModeMiddleware": ".middleware",
    "MaintenanceSettings": ".settings",
    "MaintenanceState": ".record",
    "Reason": ".rules",
    "configure_backend": ".control",
    "decide": ".rules",
    "force_maintenance_mode_off": ".decorators",
    "force_maintenance_mode_on": ".decorators",
    "get_maintenance_mode": ".control",
    "get_maintenance_state": ".control",
    "global_state": ".rules",
    "load_settings": ".settings",
    "maintenance_mode_off": ".overrides",
    "maintenance_mode_on": ".overrides",
    "set_maintenance_mode": ".control",
}

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


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module, __name__), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        # ``import fastapi_maintenance`` then ``fastapi_maintenance.backends...``, as when the root imported them.
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups find it without calling here
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_MODULES))
