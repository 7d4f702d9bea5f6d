"""Loading entry points: settings from every source, and where each value came from."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .model import MaintenanceSettings
from .sources import PathArg

__all__ = ["load_settings", "load_settings_with_sources"]


def load_settings(config_file: Optional[PathArg] = None, **overrides: Any) -> MaintenanceSettings:
    """Load and validate settings now; raise ``MaintenanceConfigError`` for any problem.

    ``config_file`` is a TOML or YAML file (by suffix); when None, the file is found by the
    rule in ``settings.discovery`` (``FASTAPI_MAINTENANCE_CONFIG``, else ``maintenance.toml``
    or ``.yaml`` in the working directory). ``overrides`` are settings keys and win over the
    environment, the file and the defaults.
    """
    return MaintenanceSettings(_config_file=config_file, **overrides)


def load_settings_with_sources(
    config_file: Optional[PathArg] = None, **overrides: Any
) -> Tuple[MaintenanceSettings, Dict[str, str]]:
    """Like ``load_settings``, plus which source each key's effective value came from.

    The mapping goes from key (nested tables expanded: ``response.status_code``) to
    ``"keyword argument"``, ``"environment variable FASTAPI_MAINTENANCE_<KEY>"``,
    ``"file <path>"`` or ``"default"``.
    """
    report: Dict[str, str] = {}
    settings = MaintenanceSettings(_config_file=config_file, _sources_report=report, **overrides)
    return settings, report
