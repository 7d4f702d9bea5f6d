"""Seeing the maintenance record change: one INFO line per worker, then the app's ``on_change`` callbacks.

A keeper calls ``changed(old, new)`` when a record it peeks, reads or writes
differs from the last one it saw. Callbacks never reach the request that
happened to notice the change: a sync callback runs inline with its exception
logged; an async one runs as a task of its own, its exception logged too. The
same holds for a backend's ``describe()`` in the change line and for metrics
observers told of a change or an outage: what they raise is logged, never served.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import weakref
from typing import TYPE_CHECKING, Any, Awaitable, Callable, List, Optional, Set

from .record import MaintenanceState

if TYPE_CHECKING:
    from .backends.base import BaseStateBackend

logger = logging.getLogger("fastapi_maintenance")

#: ``on_change(old, new)``: a plain function or a coroutine function.
ChangeListener = Callable[[MaintenanceState, MaintenanceState], Optional[Awaitable[None]]]


class ChangeNotifier:
    """The change line and the callbacks for one backend's keeper.

    A bound method is held weakly: a backend shared by many apps (a test suite building one app
    per test) does not keep every app's middleware alive, nor call it after it is gone.
    """

    def __init__(self, backend: BaseStateBackend) -> None:
        self.backend = backend
        self._listeners: List[Callable[[], Optional[ChangeListener]]] = []
        self._tasks: Set[asyncio.Future[Any]] = set()  # strong references until each callback ends

    def add(self, listener: ChangeListener) -> None:
        if inspect.ismethod(listener):
            self._listeners.append(weakref.WeakMethod(listener))
        else:
            self._listeners.append(lambda: listener)

    @property
    def listeners(self) -> List[ChangeListener]:
        """The listeners still alive (the dead ones are dropped)."""
        alive = [(ref, ref()) for ref in self._listeners]
        self._listeners = [ref for ref, listener in alive if listener is not None]
        return [listener for _, listener in alive if listener is not None]

    def changed(self, old: MaintenanceState, new: MaintenanceState) -> None:
        logger.info(
            "Maintenance state changed in %s: %s -> %s",
            backend_label(self.backend),
            describe_state(old),
            describe_state(new),
        )
        for listener in self.listeners:
            self._call(listener, old, new)

    def _call(self, listener: ChangeListener, old: MaintenanceState, new: MaintenanceState) -> None:
        try:
            result = listener(old, new)
        except Exception:
            logger.exception("on_change callback %r raised; the request goes on", listener)
            return
        if not inspect.isawaitable(result):
            return
        try:
            task = asyncio.ensure_future(result)
        except RuntimeError:  # no running event loop: nothing can await it
            if inspect.iscoroutine(result):
                result.close()
            logger.error("on_change callback %r returned an awaitable outside an event loop", listener)
            return
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.error("on_change callback raised", exc_info=(type(exc), exc, exc.__traceback__))


def backend_label(backend: BaseStateBackend) -> str:
    """``backend.describe()`` for a log line; one that raises names the backend by its class instead."""
    try:
        return str(backend.describe())
    except Exception:
        kind = type(backend).__name__
        logger.exception("%s.describe() raised; the backend is named %s in logs", kind, kind)
        return kind


def notify_quietly(callback: Callable[..., Any], *args: Any) -> None:
    """Call an observer's hook on a request's path; what it raises is logged, not passed to the request."""
    try:
        callback(*args)
    except Exception:
        logger.exception("maintenance observer %r raised; the request goes on", callback)


def describe_state(state: MaintenanceState) -> str:
    """A one-line summary for logs: on/off and the fields that are set (the reason included: logs are internal)."""
    parts = ["on" if state.active else "off"]
    parts.extend(f"{name}={value!r}" for name, value in state.to_dict().items() if name != "active")
    return " ".join(parts)
