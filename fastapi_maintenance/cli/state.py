"""Reading and switching the state through a backend, as one short-lived CLI process does it.

Each operation runs in its own event loop and always closes the backend (a Redis
connection and its subscriber) before returning. A store that cannot be reached
becomes a ``CliError`` with exit code 3; the library's own warnings during the
operation are collected instead of printed, so a failure stays one line.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple, TypeVar

from ..access.windows import Window
from ..backends.base import BackendUnavailable, BaseStateBackend, RecordNotSupported
from ..backends.memory import MemoryBackend
from ..control import set_maintenance_mode
from ..record import MaintenanceState, switched_state
from ..rules import Reason, global_state
from ..settings import MaintenanceSettings
from ..settings.backend import redact_url_credentials
from ..settings.model import window_schedule
from ..state import keeper_for
from .durations import format_span
from .errors import EXIT_BACKEND_UNAVAILABLE, EXIT_USAGE, CliError
from .switch_fields import SwitchFields

__all__ = [
    "StatusReport",
    "SwitchResult",
    "collected_library_warnings",
    "read_status",
    "record_json",
    "record_rows",
    "switch_state",
]

_T = TypeVar("_T")
_LIBRARY_LOGGER = "fastapi_maintenance"
#: What a failing store raises: our own signal, OS errors (files, sockets) and time-outs.
_STORE_ERRORS = (BackendUnavailable, OSError, asyncio.TimeoutError)
_REASON_NAMES = {Reason.HARD_SWITCH: "enabled", Reason.WINDOW: "window", Reason.BACKEND: "backend"}


class _Collector(logging.Handler):
    """Keeps warnings back; passes the rest (the audit line, change lines) on to the root logger's handlers."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.messages.append(redact_url_credentials(record.getMessage()))
        else:
            logging.getLogger().handle(record)


@contextmanager
def collected_library_warnings() -> Iterator[List[str]]:
    """The library's warnings while the block runs, kept back rather than printed by logging.

    Lines below WARNING still reach whatever logging the process configured, so a program
    running the command in-process keeps the audit line of the switch.
    """
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


def record_rows(record: MaintenanceState, now: datetime) -> List[Tuple[str, str]]:
    """The record's fields for people, as (label, text), in stored order; none for a bare on/off."""
    rows: List[Tuple[str, str]] = []
    if record.message is not None:
        rows.append(("message", record.message))
    if record.until is not None:
        left = record.until - now
        when = "ended" if left.total_seconds() <= 0 else f"{format_span(left)} left"
        rows.append(
            ("until", f"{_utc_text(record.until)} ({when})" if record.active else _utc_text(record.until))
        )
    for label, value in (("reason", record.reason), ("actor", record.actor)):
        if value is not None:
            rows.append((label, value))
    if record.since is not None:
        rows.append(("since", _utc_text(record.since)))
    return rows


def record_json(record: MaintenanceState, now: datetime) -> Dict[str, Any]:
    """The record's set fields (datetimes in UTC, RFC 3339), and with an end: ``seconds_left`` and ``ended``."""
    data: Dict[str, Any] = {"active": record.active}
    for name in ("message", "until", "reason", "actor", "since"):
        value = getattr(record, name)
        if value is not None:
            data[name] = _utc_text(value) if isinstance(value, datetime) else value
    if record.until is not None:
        left = (record.until - now).total_seconds()
        data["seconds_left"] = max(0, math.ceil(left))
        data["ended"] = left <= 0
    return data


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


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
    #: The stored record (message, until, ...) and the moment it was judged at.
    record: MaintenanceState
    now: datetime

    def as_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "maintenance": self.maintenance,
            "reason": self.reason,
            "backend": self.backend,
            "backend_state": self.backend_state,
            "enabled": self.enabled,
            "window": {"active": _window_json(self.active_window), "next": _window_json(self.next_window)},
        }
        if not self.record.is_plain:  # a bare 1/0 keeps the output of before
            data["record"] = record_json(self.record, self.now)
        return data


def read_status(
    settings: MaintenanceSettings,
    backend: BaseStateBackend,
    hard_switch: Optional[bool],
    now: Optional[datetime] = None,
) -> StatusReport:
    """Read the backend once; combine it with the hard switch and the windows the way the app does."""
    _refuse_in_process_backend(backend)
    try:
        record = _run(backend, backend.get_state)
    except _STORE_ERRORS as exc:
        raise CliError(
            f"cannot read the maintenance state from {backend.describe()}: {_reason(exc)}",
            EXIT_BACKEND_UNAVAILABLE,
        ) from None
    moment = now if now is not None else datetime.now(timezone.utc)
    backend_state = record.in_effect(moment)
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
        record=record,
        now=moment,
    )


@dataclass(frozen=True)
class SwitchResult:
    """What ``on``/``off`` did: the state before (None when it could not be read) and the record written."""

    backend: str
    previous: Optional[bool]
    value: bool
    #: The record before (None when unreadable) and the one written.
    previous_record: Optional[MaintenanceState] = None
    record: Optional[MaintenanceState] = None
    now: Optional[datetime] = None

    @property
    def changed(self) -> bool:
        return self.previous != self.value

    @property
    def updated(self) -> bool:
        """Maintenance stays as it was, but the record's fields (message, end, ...) were replaced."""
        return not self.changed and self.record is not None and self.record != self.previous_record

    def as_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "maintenance": self.value,
            "previous": self.previous,
            "changed": self.changed,
            "backend": self.backend,
        }
        if self.record is not None and not self.record.is_plain:  # a bare on/off keeps the output of before
            data["record"] = record_json(self.record, self.now or datetime.now(timezone.utc))
        return data


def read_only_message(backend: BaseStateBackend) -> str:
    return (
        f"the env backend ({backend.describe()}) is read-only: an environment variable cannot be "
        "switched at runtime from another process; choose a writable backend with "
        "--backend file --file-path PATH (or --backend redis://host:6379/0), "
        'or set backend = "file:///path/to/state" in the config file'
    )


def switch_state(
    backend: BaseStateBackend, value: bool, fields: Optional[SwitchFields] = None
) -> SwitchResult:
    """Write ``value`` and ``fields`` through ``set_maintenance_mode`` (so the audit line is logged);
    report the state it replaced and the record written."""
    fields = fields or SwitchFields()
    _refuse_in_process_backend(backend)
    if backend.read_only:
        raise CliError(read_only_message(backend), EXIT_USAGE)
    try:
        switched_state(value, None, **fields.keywords())  # every check the library makes, before any I/O
    except (ValueError, TypeError) as exc:
        raise CliError(f"{exc}; nothing was written", EXIT_USAGE) from None

    async def switch() -> Tuple[Optional[MaintenanceState], MaintenanceState]:
        try:
            previous: Optional[MaintenanceState] = await backend.get_state()
        except _STORE_ERRORS:
            previous = None  # an unreadable file can still be replaced; the write decides
        await set_maintenance_mode(value, backend, **fields.keywords())
        try:
            # Read back: a remote admin API names the actor itself, and another writer may have come between.
            written = await backend.get_state()
        except _STORE_ERRORS:
            known = keeper_for(backend).last_state  # what set_maintenance_mode wrote
            assert known is not None
            written = known
        return previous, written

    before = datetime.now(timezone.utc)
    try:
        previous, written = _run(backend, switch)
    except _STORE_ERRORS as exc:
        raise CliError(
            f"cannot write the maintenance state to {backend.describe()}: {_reason(exc)}",
            EXIT_BACKEND_UNAVAILABLE,
        ) from None
    except (RecordNotSupported, ValueError) as exc:  # a bool-only backend, a record too long to store
        raise CliError(f"{_reason(exc)}; nothing was written", EXIT_USAGE) from None
    return SwitchResult(
        backend.describe(),
        previous.in_effect(before) if previous is not None else None,
        value,
        previous,
        written,
        datetime.now(timezone.utc),
    )
