"""The text of the MaintenanceConfigError that loading settings raises, for tests that read what it names."""

from __future__ import annotations

from typing import Any

import pytest

from fastapi_maintenance import MaintenanceConfigError, load_settings


def error_of(*args: Any, **kwargs: Any) -> str:
    """Load settings with these arguments; fail unless that raises MaintenanceConfigError, return its text."""
    with pytest.raises(MaintenanceConfigError) as caught:
        load_settings(*args, **kwargs)
    return str(caught.value)
