"""Reading and switching the state through a backend, as one short-lived CLI process does it.

Each operation runs in its own event loop and always closes the backend (a Redis
connection and its subscriber) before returning. A store that cannot be reached
becomes a ``CliError`` with exit code 3; the library's own warnings during the
operation are collected instead of printed, so a failure stays one line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, TypeVar

from ..access.windows import Window
from ..backends.base import BackendUnavailable, BaseStateBackend
from ..backends.memory import MemoryBackend
from ..rules import Reason, global_state
from ..settings import MaintenanceSettings
from ..settings.backend import redact_url_credentials
from ..settings.model import window_schedule
from .errors import EXIT_BACKEND_UNAVAILABLE, EXIT_USAGE, CliError

__all__ = [
    "StatusReport",
    "SwitchResult",
    "collected_library_warnings",
    "read_status",
    "switch_state",
]

_T = TypeVar("_T")
_LIBRARY_LOGGER = "fastapi_maintenance"
#: What a failing store raises: our own signal, OS errors (files, sockets) and time-outs.
_STORE_ERRORS = (BackendUnavailable, OSError, asyncio.TimeoutError)
_REASON_NAMES = {Reason.HARD_SWITCH: "enabled", Reason.WINDOW: "window", Reason.BACKEND: "backend"}


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(redact_url_credentials(record.getMessage()))


@contextmanager
def collected_library_warnings() -> Iterator[List[str]]:
    """The library's warnings while the block runs, kept back rather than printed by logging."""
    logger = logging.getLogger(_LIBRARY_LOGGER)
    collector = _Collector()
    propagate = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BackendUnavailable) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, OSError) and exc.strerror:
        text = str(exc.strerror)
    elif isinstance(exc, asyncio.TimeoutError) and not str(exc):
        text = "no answer in time"
    else:
        text = str(exc) or type(exc).__name__
    return redact_url_credentials(" ".join(text.split()))


def _refuse_in_process_backend(backend: BaseStateBackend) -> None:
    if isinstance(backend, MemoryBackend):
        raise CliError(
            "the memory backend keeps the state inside the app's own process, so no other process "
            "can read or switch it; use a shared backend: --backend file --file-path PATH, "
            'a redis:// URL, or backend = "file:///path/to/state" in the config file',
            EXIT_USAGE,
        )


def _run(backend: BaseStateBackend, operation: Callable[[], Awaitable[_T]]) -> _T:
    async def run_and_close() -> _T:
        try:
            return await operation()
        finally:
            await backend.aclose()

    return asyncio.run(run_and_close())


def _window_json(window: Optional[Window]) -> Optional[Dict[str, Any]]:
    if window is None:
        return None
    return {
        "start": window.start.astimezone(timezone.utc).isoformat(),
        "end": window.end.astimezone(timezone.utc).isoformat(),
        "message": window.message,
    }


@dataclass(frozen=True)
class StatusReport:
    """What ``status`` says: the app-wide state and each thing that decides it."""

    maintenance: bool
    reason: str
    backend: str
    backend_state: bool
    enabled: Optional[bool]
    active_window: Optional[Window]
    next_window: Optional[Window]
    window_line: str

    def as_json(self) -> Dict[str, Any]:
        return {
            "maintenance": self.maintenance,
            "reason": self.reason,
            "backend": self.backend,
            "backend_state": self.backend_state,
            "enabled": self.enabled,
            "window": {"active": _window_json(self.active_window), "next": _window_json(self.next_window)},
        }


def read_status(
    settings: MaintenanceSettings,
    backend: BaseStateBackend,
    hard_switch: Optional[bool],
    now: Optional[datetime] = None,
) -> StatusReport:
    """Read the backend once; combine it with the hard switch and the windows the way the app does."""
    _refuse_in_process_backend(backend)
    try:
        backend_state = bool(_run(backend, backend.get_value))
    except _STORE_ERRORS as exc:
        raise CliError(
            f"cannot read the maintenance state from {backend.describe()}: {_reason(exc)}",
            EXIT_BACKEND_UNAVAILABLE,
        ) from None
    moment = now if now is not None else datetime.now(timezone.utc)
    schedule = window_schedule(settings)
    active = schedule.active(moment)
    decision = global_state(None, hard_switch, backend_state, active is not None)
    return StatusReport(
        maintenance=decision.maintenance,
        reason=_REASON_NAMES.get(decision.reason, "backend") if decision.reason is not None else "backend",
        backend=backend.describe(),
        backend_state=backend_state,
        enabled=hard_switch,
        active_window=active,
        next_window=schedule.next(moment),
        window_line=schedule.describe(moment),
    )


@dataclass(frozen=True)
class SwitchResult:
    """What ``on``/``off`` did: the state before (None when it could not be read) and after."""

    backend: str
    previous: Optional[bool]
    value: bool

    @property
    def changed(self) -> bool:
        return self.previous != self.value

    def as_json(self) -> Dict[str, Any]:
        return {
            "maintenance": self.value,
            "previous": self.previous,
            "changed": self.changed,
            "backend": self.backend,
        }


def read_only_message(backend: BaseStateBackend) -> str:
    return (
        f"the env backend ({backend.describe()}) is read-only: an environment variable cannot be "
        "switched at runtime from another process; choose a writable backend with "
        "--backend file --file-path PATH (or --backend redis://host:6379/0), "
        'or set backend = "file:///path/to/state" in the config file'
    )


def switch_state(backend: BaseStateBackend, value: bool) -> SwitchResult:
    """Write ``value`` through a writable backend; report the state it replaced."""
    _refuse_in_process_backend(backend)
    if backend.read_only:
        raise CliError(read_only_message(backend), EXIT_USAGE)

    async def switch() -> Optional[bool]:
        try:
            previous: Optional[bool] = bool(await backend.get_value())
        except _STORE_ERRORS:
            previous = None  # an unreadable file can still be replaced; the write decides
        await backend.set_value(value)
        return previous

    try:
        previous = _run(backend, switch)
    except _STORE_ERRORS as exc:
        raise CliError(
            f"cannot write the maintenance state to {backend.describe()}: {_reason(exc)}",
            EXIT_BACKEND_UNAVAILABLE,
        ) from None
    return SwitchResult(backend.describe(), previous, value)
