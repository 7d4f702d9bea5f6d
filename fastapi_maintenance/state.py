"""What a backend needs at runtime besides its stored value: overrides, the last known state, outage logging.

One ``StateKeeper`` belongs to one backend object (it is attached to it on
first use), so a middleware and the functions that act on the same backend
share overrides without any module-global registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

import anyio

from .backends.base import BaseStateBackend, companion
from .backends.outage import outage_of
from .changes import ChangeListener, ChangeNotifier, notify_quietly
from .record import MaintenanceState, plain
from .settings.model import DEFAULT_BACKEND_TIMEOUT

if TYPE_CHECKING:
    from .observer import MaintenanceObserver

_ATTRIBUTE = "_fastapi_maintenance_keeper"


class Override:
    """One active ``maintenance_mode_on/off`` context and the record it stands for (its message, ...)."""

    __slots__ = ("state", "value")

    def __init__(self, value: bool, state: Optional[MaintenanceState] = None) -> None:
        self.value = value
        self.state = state if state is not None else plain(value)


class StateKeeper:
    """Reads a backend without ever raising, and holds the override contexts active on it."""

    def __init__(self, backend: BaseStateBackend) -> None:
        self.backend = backend
        self.overrides: List[Override] = []
        self.saved_before_overrides: Optional[MaintenanceState] = None
        #: The record last seen in the backend (peeked, read or written here); None before the first.
        self.last_state: Optional[MaintenanceState] = None
        self.changes = ChangeNotifier(backend)
        #: Told of each record first seen or changed, and of outages and recoveries (metrics).
        self.observers: List[MaintenanceObserver] = []
        #: True while the backend's ``peek`` reports a failure: the fault policy answers without I/O.
        self.down = False
        self._outage = outage_of(backend)

    @property
    def last_known(self) -> Optional[bool]:
        """Whether the last record seen keeps maintenance on now (its ``until`` not reached); None before any."""
        state = self.last_state
        return None if state is None else state.in_effect()

    def add_listener(self, listener: ChangeListener) -> None:
        """Call ``listener(old, new)`` whenever this keeper sees the backend's record change."""
        self.changes.add(listener)

    def peek(self) -> Optional[MaintenanceState]:
        """The record without I/O, or None: then ``read`` must be awaited, unless ``down`` is set."""
        try:
            state = self.backend.peek_state()
        except Exception as exc:
            self.down = True
            self._failed(exc)
            return None
        if state is not None and state is self.last_state and self._outage.reason is None:
            return state  # the common case on every request: healthy and unchanged, nothing to record
        self.down = False
        if state is None:
            return None
        self._outage.ended()
        self.observe(state)
        return state

    async def read(self, within: float = DEFAULT_BACKEND_TIMEOUT) -> Optional[MaintenanceState]:
        """The stored record, or None when the backend failed or took over ``within`` seconds (logged once)."""
        try:
            with anyio.fail_after(within):
                state = await self.backend.get_state()
        except Exception as exc:
            if isinstance(exc, TimeoutError):
                exc = TimeoutError(f"no answer within {within:g} s (backend_timeout)")
            self._failed(exc)
            return None
        self._outage.ended()
        self.observe(state)
        return state

    def add_observer(self, observer: MaintenanceObserver) -> None:
        """Tell ``observer`` (metrics) of each record first seen or changed, and of outages and recoveries."""
        if observer not in self.observers:
            self.observers.append(observer)
            self._outage.listeners.append(observer.backend_reachable)

    def observe(self, state: MaintenanceState) -> None:
        """Remember the record seen in the backend; a record different from the last one is a change."""
        old = self.last_state
        self.last_state = state
        if old is not None and old is not state and old != state:
            self.changes.changed(old, state)
        elif old is not None:
            return
        for observer in self.observers:
            notify_quietly(observer.state_seen, old, state)
            if old is None:
                notify_quietly(observer.backend_reachable, True)

    def _failed(self, exc: BaseException) -> None:
        self._outage.began(f"{type(exc).__name__}: {exc}")


def keeper_for(backend: BaseStateBackend) -> StateKeeper:
    """The backend's keeper, created on first use and stored on the backend itself."""
    return companion(backend, _ATTRIBUTE, StateKeeper)
