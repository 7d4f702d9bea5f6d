"""The effective settings for ``check``: one row per key, its value (secrets masked) and its source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List

from ..settings import MaintenanceSettings
from ..settings.explain import is_secret_key

__all__ = ["MASK", "SettingRow", "setting_rows"]

MASK = "********"
_MISSING = object()


@dataclass(frozen=True)
class SettingRow:
    key: str
    value: Any  # JSON-compatible; None means "not set"
    source: str


def _lookup(data: Dict[str, Any], dotted: str) -> Any:
    """The value at ``dotted``; ``_MISSING`` when a table on the way is not set (None)."""
    current: Any = data
    for part in dotted.split("."):
        if current is None:
            return _MISSING
        current = current[part]
    return current


def setting_rows(
    settings: MaintenanceSettings, sources: Dict[str, str], backend_name: str
) -> List[SettingRow]:
    """Rows in the model's key order. A table that is not set (``bypass``) is one row, not one per key.

    ``backend_name`` is the built backend's secret-free description, shown instead of the table
    (a Redis URL may carry a password).
    """
    data = settings.model_dump(mode="json")
    rows: List[SettingRow] = []
    seen_unset = set()
    for key, source in sources.items():
        if key == "backend":
            rows.append(SettingRow(key, backend_name, source))
            continue
        value = _lookup(data, key)
        if value is _MISSING:
            table = key.split(".", 1)[0]
            if table not in seen_unset:
                seen_unset.add(table)
                rows.append(SettingRow(table, None, source))
            continue
        if value is not None and is_secret_key(key):
            value = MASK
        rows.append(SettingRow(key, value, source))
    return rows
