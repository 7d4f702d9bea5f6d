"""The one error users see for bad configuration, raised at start-up, never per request."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MaintenanceArgumentError", "MaintenanceConfigError", "require_extra"]


class MaintenanceConfigError(ValueError):
    """Invalid or unreadable maintenance configuration.

    The message says where (file, environment variable or keyword argument),
    which key (dotted, e.g. ``response.status_code``), the bad value and what is
    allowed. It is a ``ValueError`` so existing ``except ValueError`` code keeps working.
    """


class MaintenanceArgumentError(MaintenanceConfigError, TypeError):
    """A missing or unexpected keyword argument: also a ``TypeError``, as Python and 0.0.5 raised for it."""


def require_extra(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import an optional dependency, or explain which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MaintenanceConfigError(
            f"{purpose} needs the optional package {module!r}, which is not installed: "
            f'pip install "fastapi-maintenance[{extra}]"'
        ) from exc
