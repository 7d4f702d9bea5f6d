"""``MaintenanceState``: the maintenance state as a record, not a bare bit.

Besides on/off, an operator can say why (``reason``, internal), what clients
are told (``message``), until when (``until``, after which maintenance ends by
itself) and who switched (``actor``); ``since`` is when it was switched on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional


@dataclass(frozen=True)
class MaintenanceState:
    """One stored maintenance state. A state with no field but ``active`` is stored as 0.0.5 stored it."""

    active: bool
    message: Optional[str] = None
    until: Optional[datetime] = None
    reason: Optional[str] = None
    actor: Optional[str] = None
    since: Optional[datetime] = None

    @property
    def is_plain(self) -> bool:
        """True when nothing but ``active`` is set (stored as ``1``/``0``, as older versions did)."""
        return (
            self.message is None
            and self.until is None
            and self.reason is None
            and self.actor is None
            and self.since is None
        )

    def in_effect(self, now: Optional[datetime] = None) -> bool:
        """Whether maintenance is on at ``now``: active, and ``until`` (if any) not yet reached."""
        if not self.active:
            return False
        if self.until is None:
            return True
        return (now or datetime.now(timezone.utc)) < self.until
