"""What a backend needs at runtime besides its stored value: overrides, the last known state, outage logging.

One ``StateKeeper`` belongs to one backend object (it is attached to it on
first use), so a middleware and the functions that act on the same backend
share overrides without any module-global registry.
"""

from __future__ import annotations

import logging
from typing import List, Optional

from .backends.base import BaseStateBackend

logger = logging.getLogger("fastapi_maintenance")

_ATTRIBUTE = "_fastapi_maintenance_keeper"


class Override:
    """One active ``maintenance_mode_on/off`` context."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value


class StateKeeper:
    """Reads a backend without ever raising, and holds the override contexts active on it."""

    def __init__(self, backend: BaseStateBackend) -> None:
        self.backend = backend
        self.overrides: List[Override] = []
        self.saved_before_overrides: Optional[bool] = None
        self.last_known: Optional[bool] = None
        #: True while the backend's ``peek`` reports a failure: the fault policy answers without I/O.
        self.down = False
        self._failing = False

    @property
    def override(self) -> Optional[bool]:
        """The value of the innermost (most recently entered, still active) override, or None."""
        overrides = self.overrides
        return overrides[-1].value if overrides else None

    def peek(self) -> Optional[bool]:
        """The state without I/O, or None: then ``read`` must be awaited, unless ``down`` is set."""
        try:
            value = self.backend.peek()
        except Exception as exc:
            self.down = True
            self._failed(exc)
            return None
        if value is not None and value is self.last_known and not self._failing:
            return value  # the common case on every request: healthy and unchanged, nothing to record
        self.down = False
        if value is None:
            return None
        if self._failing:
            self._recovered()
        self.last_known = value
        return value

    async def read(self) -> Optional[bool]:
        """The stored state, or None when the backend failed (logged once per outage)."""
        try:
            value = bool(await self.backend.get_value())
        except Exception as exc:
            self._failed(exc)
            return None
        if self._failing:
            self._recovered()
        self.last_known = value
        return value

    def _failed(self, exc: BaseException) -> None:
        if not self._failing:
            self._failing = True
            if self.backend.logs_outages:
                return
            logger.warning(
                "Maintenance state backend %s failed (%s: %s); answering by the fault policy until it recovers.",
                self.backend.describe(),
                type(exc).__name__,
                exc,
            )

    def _recovered(self) -> None:
        self._failing = False
        if self.backend.logs_outages:
            return
        logger.info("Maintenance state backend %s recovered.", self.backend.describe())


def keeper_for(backend: BaseStateBackend) -> StateKeeper:
    """The backend's keeper, created on first use and stored on the backend itself."""
    keeper: Optional[StateKeeper] = getattr(backend, _ATTRIBUTE, None)
    if keeper is None:
        keeper = StateKeeper(backend)
        setattr(backend, _ATTRIBUTE, keeper)
    return keeper
