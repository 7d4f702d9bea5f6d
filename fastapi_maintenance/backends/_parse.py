"""Turning a stored text into a maintenance state."""

from __future__ import annotations

import logging
from typing import Optional

from ..record import MaintenanceState, decode_active_record, decode_record, plain

#: Backend messages go to this child logger, as in 0.0.5; it propagates to "fastapi_maintenance".
logger = logging.getLogger("fastapi_maintenance.backends")

TRUTHY = frozenset({"1", "yes", "y", "true", "t", "on"})
FALSY = frozenset({"0", "no", "n", "false", "f", "off"})


def parse_state(raw: Optional[str]) -> Optional[bool]:
    """True or False for a recognised text, False for a missing or empty one, None for anything else."""
    if raw is None:
        return False
    text = raw.strip().lower()
    if not text:
        return False
    if text in TRUTHY:
        return True
    if text in FALSY:
        return False
    return None


def format_state(value: bool) -> str:
    """The text a writable backend stores."""
    return "1" if value else "0"


class StateReader:
    """Reads stored texts for one backend, warning once per distinct unrecognised text (never per request)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._warned: Optional[str] = None

    def __call__(self, raw: Optional[str]) -> bool:
        parsed = parse_state(raw)
        if parsed is not None:
            return parsed
        if self._warned != raw:
            self._warned = raw
            logger.warning(
                "Invalid value %r for %s, not a recognised on/off value (use 1/0, yes/no, true/false, on/off). "
                "Expected boolean-like value. Defaulting to False.",
                raw,
                self.where,
            )
        return False


def parse_record(raw: Optional[str]) -> Optional[MaintenanceState]:
    """A stored text as a record: a JSON object (a record), else an on/off text; None when it is neither."""
    if raw is not None and raw.lstrip().startswith("{"):
        try:
            return decode_record(raw)
        except ValueError:
            return None
    parsed = parse_state(raw)
    return None if parsed is None else plain(parsed)


class RecordReader(StateReader):
    """Reads stored texts as records, warning once per distinct unreadable text.

    An unreadable text counts as off, except a JSON object saying ``"active": true``: that one
    counts as on with its unreadable fields dropped (fail closed: a bad date must not open the app).
    """

    def record(self, raw: Optional[str]) -> MaintenanceState:
        parsed = parse_record(raw)
        if parsed is not None:
            return parsed
        salvaged = decode_active_record(raw) if raw is not None and raw.lstrip().startswith("{") else None
        if raw is not None and salvaged is not None:
            if self._warned != raw:
                self._warned = raw
                logger.warning(
                    "%s holds %r, a maintenance record with unreadable fields (%s); maintenance mode is "
                    "treated as on, without those fields.",
                    self.where,
                    raw,
                    _problem(raw),
                )
            return salvaged
        if self._warned != raw:
            self._warned = raw
            detail = f" ({_problem(raw)})" if raw is not None and raw.lstrip().startswith("{") else ""
            logger.warning(
                "%s holds %r, not a recognised on/off value (use 1/0, yes/no, true/false, on/off) nor a "
                "maintenance record (a JSON object)%s; maintenance mode is treated as off.",
                self.where,
                raw,
                detail,
            )
        return plain(False)


def _problem(raw: str) -> str:
    """What ``decode_record`` finds wrong with ``raw``."""
    try:
        decode_record(raw)
    except ValueError as exc:
        return str(exc)
    return "readable"
