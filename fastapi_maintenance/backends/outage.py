"""One record per backend of whether it is failing, logged once when a failure starts and once when it ends.

Whoever notices reports here: the state keeper when a read or peek fails or succeeds, and a
backend that watches its store in the background (Redis) when its connection drops or returns.
So an outage is one warning and one recovery line however many requests, reads and reconnection
attempts it spans.
"""

from __future__ import annotations

import logging
from typing import Callable, List, Optional

from ..changes import backend_label, notify_quietly
from .base import BaseStateBackend, companion

__all__ = ["Outage", "outage_of"]

logger = logging.getLogger("fastapi_maintenance")


class Outage:
    """Whether ``backend`` is failing now, and why (the first failure's reason)."""

    __slots__ = ("backend", "listeners", "reason")

    def __init__(self, backend: BaseStateBackend) -> None:
        self.backend = backend
        #: Called with False when an outage starts and True when it ends (metrics).
        self.listeners: List[Callable[[bool], None]] = []
        #: The first failure's reason while the backend is failing; None while it is healthy.
        self.reason: Optional[str] = None

    def began(self, reason: str) -> None:
        """A failure: logged (a warning) when it starts an outage, ignored during one."""
        if self.reason is not None:
            return
        self.reason = reason
        for listener in self.listeners:
            notify_quietly(listener, False)
        logger.warning(
            "Maintenance state backend %s failed (%s); the on_backend_error policy answers until it recovers.",
            backend_label(self.backend),
            reason,
        )

    def ended(self) -> None:
        """A success: logged when it ends an outage, ignored otherwise."""
        if self.reason is None:
            return
        self.reason = None
        for listener in self.listeners:
            notify_quietly(listener, True)
        logger.info("Maintenance state backend %s recovered.", backend_label(self.backend))

    def forget(self) -> None:
        """Start afresh, logging nothing: the backend was closed, and a later failure is a new outage."""
        self.reason = None


def outage_of(backend: BaseStateBackend) -> Outage:
    """The backend's outage record, created on first use and stored on the backend itself."""
    return companion(backend, "_fastapi_maintenance_outage", Outage)
