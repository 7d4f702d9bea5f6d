"""Temporary maintenance: ``async with maintenance_mode_on():`` and its twin, also usable as decorators.

An override applies to every request the middleware serves while it is
active, not only to the task that opened it: it lives on the backend's
keeper, a stack where the most recently entered active context wins. On a
writable backend the value is also written through so other processes
follow, and the value from before the outermost context is restored when the
last one exits, exceptions included. On the read-only env backend the
override lives in memory only.

A context may carry a record's fields (``message``, ``until``/``duration``,
``reason``, ``actor``): while it is active, clients of this process get its
message (and, on a writable backend, so do the other processes); when it
exits, the record from before, with its own message, is back. An ``until``
ends the context's maintenance early everywhere, like a stored one.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from types import TracebackType
from typing import Any, Awaitable, Callable, Dict, Optional, Type, TypeVar

from .audit import OVERRIDE_ENTER, OVERRIDE_EXIT, audit
from .backends.base import BaseStateBackend
from .control import resolve_backend
from .record import Duration, MaintenanceState, switched_state
from .state import Override, StateKeeper, keeper_for

logger = logging.getLogger("fastapi_maintenance")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class MaintenanceOverride:
    """One override context; make a new one per ``async with`` (the factory functions do)."""

    def __init__(self, value: bool, backend: Optional[BaseStateBackend] = None, **fields: Any) -> None:
        self.value = value
        self._backend = backend
        switched_state(bool(value), None, **fields)  # bad values fail here, where the context is made
        self._fields: Dict[str, Any] = fields
        self._entry: Optional[Override] = None
        self._keeper: Optional[StateKeeper] = None

    async def __aenter__(self) -> MaintenanceOverride:
        if self._entry is not None:
            raise RuntimeError("this maintenance override is already active; create a new one per use")
        backend = resolve_backend(self._backend)
        keeper = keeper_for(backend)
        writable = not backend.read_only
        current: Optional[MaintenanceState] = keeper.overrides[-1].state if keeper.overrides else None
        if current is None and (writable or self._fields):
            current = keeper.peek()
            if current is None:
                current = await backend.get_state()
                keeper.observe(current)
        if writable and not keeper.overrides:
            keeper.saved_before_overrides = current
        state = switched_state(bool(self.value), current, **self._fields)
        entry = Override(self.value, state)
        keeper.overrides.append(entry)
        self._entry, self._keeper = entry, keeper
        if writable:
            try:
                await backend.set_state(state)
            except BaseException:
                self._leave()
                raise
            keeper.observe(state)
        audit(OVERRIDE_ENTER, state, backend)
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        keeper = self._keeper
        if keeper is None:
            return
        self._leave()
        backend = keeper.backend
        remaining = keeper.overrides[-1].state if keeper.overrides else None
        if backend.read_only:
            audit(OVERRIDE_EXIT, remaining or backend.peek_state() or await backend.get_state(), backend)
            return
        restore = remaining if remaining is not None else keeper.saved_before_overrides
        if restore is None:
            return
        try:
            await backend.set_state(restore)
        except Exception:
            if exc is None:
                raise
            logger.exception("Could not restore maintenance state %s on %s", restore, backend.describe())
            return
        keeper.observe(restore)
        audit(OVERRIDE_EXIT, restore, backend)

    def _leave(self) -> None:
        keeper, entry = self._keeper, self._entry
        self._keeper = self._entry = None
        if keeper is not None and entry is not None:
            # Remove this context's own entry: concurrent contexts may exit in any order.
            keeper.overrides[:] = [item for item in keeper.overrides if item is not entry]

    def __call__(self, func: F) -> F:
        """Use as a decorator on an async function: each call runs inside a fresh context."""
        value, backend, fields = self.value, self._backend, self._fields

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            async with MaintenanceOverride(value, backend, **fields):
                return await func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def maintenance_mode_on(
    backend: Optional[BaseStateBackend] = None,
    *,
    message: Optional[str] = None,
    until: Optional[datetime] = None,
    duration: Optional[Duration] = None,
    reason: Optional[str] = None,
    actor: Optional[str] = None,
) -> MaintenanceOverride:
    """Maintenance on while the block (or decorated coroutine) runs, telling clients ``message``."""
    return MaintenanceOverride(
        True, backend, message=message, until=until, duration=duration, reason=reason, actor=actor
    )


def maintenance_mode_off(
    backend: Optional[BaseStateBackend] = None,
    *,
    reason: Optional[str] = None,
    actor: Optional[str] = None,
) -> MaintenanceOverride:
    """Maintenance off while the block (or decorated coroutine) runs."""
    return MaintenanceOverride(False, backend, reason=reason, actor=actor)
