"""Temporary maintenance: ``async with maintenance_mode_on():`` and its twin, also usable as decorators.

An override applies to every request the middleware serves while it is
active, not only to the task that opened it: it lives on the backend's
keeper, a stack where the most recently entered active context wins. On a
writable backend the value is also written through so other processes
follow, and the value from before the outermost context is restored when the
last one exits, exceptions included. On the read-only env backend the
override lives in memory only.
"""

from __future__ import annotations

import functools
import logging
from types import TracebackType
from typing import Any, Awaitable, Callable, Optional, Type, TypeVar

from .backends.base import BaseStateBackend
from .control import resolve_backend
from .state import Override, StateKeeper, keeper_for

logger = logging.getLogger("fastapi_maintenance")

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class MaintenanceOverride:
    """One override context; make a new one per ``async with`` (the factory functions do)."""

    def __init__(self, value: bool, backend: Optional[BaseStateBackend] = None) -> None:
        self.value = value
        self._backend = backend
        self._entry: Optional[Override] = None
        self._keeper: Optional[StateKeeper] = None

    async def __aenter__(self) -> MaintenanceOverride:
        if self._entry is not None:
            raise RuntimeError("this maintenance override is already active; create a new one per use")
        backend = resolve_backend(self._backend)
        keeper = keeper_for(backend)
        writable = not backend.read_only
        if writable and not keeper.overrides:
            saved = keeper.peek()
            if saved is None:
                saved = bool(await backend.get_value())
            if not keeper.overrides:
                keeper.saved_before_overrides = saved
        entry = Override(self.value)
        keeper.overrides.append(entry)
        self._entry, self._keeper = entry, keeper
        if writable:
            try:
                await backend.set_value(self.value)
            except BaseException:
                self._leave()
                raise
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
        if backend.read_only:
            return
        remaining = keeper.override
        restore = remaining if remaining is not None else keeper.saved_before_overrides
        if restore is None:
            return
        try:
            await backend.set_value(restore)
        except Exception:
            if exc is None:
                raise
            logger.exception("Could not restore maintenance state %s on %s", restore, backend.describe())

    def _leave(self) -> None:
        keeper, entry = self._keeper, self._entry
        self._keeper = self._entry = None
        if keeper is not None and entry is not None:
            # Remove this context's own entry: concurrent contexts may exit in any order.
            keeper.overrides[:] = [item for item in keeper.overrides if item is not entry]

    def __call__(self, func: F) -> F:
        """Use as a decorator on an async function: each call runs inside a fresh context."""
        value, backend = self.value, self._backend

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            async with MaintenanceOverride(value, backend):
                return await func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def maintenance_mode_on(backend: Optional[BaseStateBackend] = None) -> MaintenanceOverride:
    """Maintenance on while the block (or decorated coroutine) runs."""
    return MaintenanceOverride(True, backend)


def maintenance_mode_off(backend: Optional[BaseStateBackend] = None) -> MaintenanceOverride:
    """Maintenance off while the block (or decorated coroutine) runs."""
    return MaintenanceOverride(False, backend)
