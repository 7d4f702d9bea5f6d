"""What a middleware tells an observer (metrics): decisions made while maintenance could apply, state seen.

The middleware calls ``request_decided`` only on its decision path, never on the
path a request takes while maintenance is off, so observing costs nothing on a normal day.
"""

from __future__ import annotations

from typing import Optional, Protocol

from .record import MaintenanceState
from .rules import Decision

__all__ = ["MaintenanceObserver"]


class MaintenanceObserver(Protocol):
    """Receives what one or more middlewares decide and see; methods must be cheap and must not raise."""

    def request_decided(self, decision: Decision) -> None:
        """A request that maintenance applied to (or could have): answered with maintenance, or let through."""

    def state_seen(self, old: Optional[MaintenanceState], new: MaintenanceState) -> None:
        """A worker saw the stored state change (or read it for the first time: ``old`` is None)."""

    def backend_reachable(self, reachable: bool) -> None:
        """A worker found its backend failing (False) or working again (True)."""
