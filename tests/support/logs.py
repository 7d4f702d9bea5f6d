"""What the package logged during a test, at one level."""

from __future__ import annotations

from typing import List

import pytest


def library_messages(caplog: pytest.LogCaptureFixture, level: int) -> List[str]:
    """The messages the package's own loggers wrote at exactly ``level`` (other libraries' are left out)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("fastapi_maintenance") and record.levelno == level
    ]
