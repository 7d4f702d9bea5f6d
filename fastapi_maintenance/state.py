"""What a backend needs at runtime besides its stored value: overrides, the last known state, outage logging.

One ``StateKeeper`` belongs to one backend object (it is attached to it on
first use), so a middleware and the functions that act on the same backend
share overrides without any module-global registry.
"""

from __future__ import annotations

import logging
from typing import Any, List, Optional

import anyio

from .backends._parse import parse_state
from .backends.base import BaseStateBackend

logger = logging.getLogger("fastapi_maintenance")

_ATTRIBUTE = "_fastapi_maintenance_keeper"
#: Seconds a backend read may take when no ``backend_timeout`` setting applies (the settings' default).
DEFAULT_BACKEND_TIMEOUT = 2.0


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
        self._warned_text = False

    @property
    def override(self) -> Optional[bool]:
        """The value of the innermost (most recently entered, still active) override, or None."""
        overrides = self.overrides
        return overrides[-1].value if overrides else None

    def peek(self) -> Optional[bool]:
        """The state without I/O, or None: then ``read`` must be awaited, unless ``down`` is set."""
        try:
            value = self.backend.peek()
            if value is not None and value is not True and value is not False:
                value = self._as_state(value)
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

    async def read(self, within: float = DEFAULT_BACKEND_TIMEOUT) -> Optional[bool]:
        """The stored state, or None when the backend failed or took over ``within`` seconds (logged once)."""
        try:
            with anyio.fail_after(within):
                raw = await self.backend.get_value()
            value = raw if raw is True or raw is False else self._as_state(raw)
        except Exception as exc:
            if isinstance(exc, TimeoutError):
                exc = TimeoutError(f"no answer within {within:g} s (backend_timeout)")
            self._failed(exc)
            return None
        if self._failing:
            self._recovered()
        self.last_known = value
        return value

    def _as_state(self, raw: Any) -> bool:
        """A value that is not a bool: text (as backends storing text return) goes through the on/off
        parser, so "0" and "false" mean off; unrecognised text is a backend failure. Warned once."""
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        if not isinstance(raw, str):
            return bool(raw)
        parsed = parse_state(raw)
        if not self._warned_text:
            self._warned_text = True
            logger.warning(
                "Maintenance state backend %s returned the text %r instead of a bool; it is read with the "
                "on/off parser (1/0, yes/no, true/false, on/off). Return a bool from get_value and peek.",
                self.backend.describe(),
                raw[:40],
            )
        if parsed is None:
            raise ValueError(f"backend returned {raw[:40]!r}, not an on/off value")
        return parsed

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
