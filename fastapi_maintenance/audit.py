"""The audit line: every change made through this library, on the logger ``fastapi_maintenance.audit``.

One INFO line per change with the fields as structured ``extra`` (``action``,
``active``, ``client_message``, ``until``, ``reason``, ``actor``,
``backend``), so a JSON log formatter or a handler can ship them as they are.
The record's ``message`` travels as ``client_message`` because the standard
library reserves ``message`` on a log record. Datetimes are RFC 3339 text.
"""

from __future__ import annotations

import logging

from .backends.base import BaseStateBackend
from .changes import backend_label
from .record import MaintenanceState

audit_logger = logging.getLogger("fastapi_maintenance.audit")

#: The actions an audit line names.
SET = "set"
OVERRIDE_ENTER = "override_enter"
OVERRIDE_EXIT = "override_exit"


def audit(action: str, state: MaintenanceState, backend: BaseStateBackend) -> None:
    """Log one change made through this library: the record it stored (or served, on a read-only backend)."""
    until = state.until.isoformat() if state.until is not None else None
    why = state.reason
    name = backend_label(backend)
    audit_logger.info(
        "maintenance %s: %s on %s%s%s%s",
        action,
        "on" if state.active else "off",
        name,
        f", until {until}" if until else "",
        f", by {state.actor}" if state.actor else "",
        f", reason: {why}" if why else "",
        extra={
            "action": action,
            "active": state.active,
            "client_message": state.message,
            "until": until,
            "reason": why,
            "actor": state.actor,
            "backend": name,
        },
    )
