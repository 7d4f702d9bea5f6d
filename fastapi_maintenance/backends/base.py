"""The contract every state backend fulfils, built-in or user-written."""

from __future__ import annotations

import contextlib
import logging
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar, Optional, TypeVar

from ..record import MaintenanceState, plain
from ._parse import format_state, parse_state

logger = logging.getLogger("fastapi_maintenance")

_T = TypeVar("_T")


class BackendUnavailable(RuntimeError):
    """Raised by a backend that knows its store cannot be reached right now."""


class RecordNotSupported(TypeError):
    """Raised when a backend that stores only on/off is asked to store a message, end time, reason or actor."""


class BaseStateBackend(ABC):
    """Where the maintenance state lives.

    Subclasses implement the two async methods. The optional hooks let a backend
    answer the middleware without I/O (``peek``), refuse writes (``read_only``),
    release connections at shutdown (``aclose``) and name itself for operators
    (``describe``). A subclass that overrides nothing but the two abstract
    methods works everywhere: the middleware then awaits ``get_value`` on each
    request that needs the state.
    """

    #: True for a backend whose state cannot be changed at runtime (the env var backend).
    read_only: ClassVar[bool] = False

    @abstractmethod
    async def get_value(self) -> bool:
        """Return True when maintenance mode is on."""

    @abstractmethod
    async def set_value(self, value: bool) -> None:
        """Store the maintenance state."""

    async def get_state(self) -> MaintenanceState:
        """The stored record. The default wraps ``get_value``: a bool backend has no other field."""
        return plain(self._answer_as_bool(await self.get_value()))

    async def set_state(self, state: MaintenanceState) -> None:
        """Store the record. The default stores a plain record through ``set_value`` and refuses any other."""
        if not state.is_plain:
            fields = ", ".join(name for name in state.to_dict() if name != "active")
            name, kind = self.describe(), type(self).__name__
            label = name if name == kind else f"{name} ({kind})"
            raise RecordNotSupported(
                f"The state backend {label} stores only on/off through "
                f"set_value; it cannot store {fields}. Use a file, memory or redis backend, or implement "
                "get_state/set_state (and peek_state) in the backend."
            )
        await self.set_value(state.active)

    def peek_state(self) -> Optional[MaintenanceState]:
        """The record if it is known without I/O, else None; like ``peek``, it may raise.

        The default wraps ``peek``. A backend overriding it returns the same
        object for as long as the record is unchanged: the middleware compares
        by identity on every request.
        """
        value = self.peek()
        return None if value is None else plain(self._answer_as_bool(value))

    def _answer_as_bool(self, raw: Any) -> bool:
        """``get_value``/``peek``'s answer as a bool. Text (as backends storing text return) goes through the
        on/off parser, so "0" and "false" mean off, warned once; unrecognised text raises (a backend failure)."""
        if raw is True or raw is False:
            return bool(raw)
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        if not isinstance(raw, str):
            return bool(raw)
        if not getattr(self, "_fastapi_maintenance_warned_text", False):
            # A backend with __slots__ cannot take the flag: it is warned every time rather than failing.
            with contextlib.suppress(AttributeError):
                self._fastapi_maintenance_warned_text = True
            logger.warning(
                "Maintenance state backend %s returned the text %r instead of a bool; it is read with the "
                "on/off parser (1/0, yes/no, true/false, on/off). Return a bool from get_value and peek.",
                self.describe(),
                raw[:40],
            )
        parsed = parse_state(raw)
        if parsed is None:
            raise ValueError(f"backend returned {raw[:40]!r}, not an on/off value")
        return parsed

    def peek(self) -> Optional[bool]:
        """Return the state if it is known without I/O, else None.

        The middleware calls this on every request and awaits ``get_value`` only
        when it returns None. It may raise (for example ``BackendUnavailable``)
        when the backend knows it is failing; the middleware's fault policy
        then answers.
        """
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Release connections and background tasks; called at app shutdown."""

    def describe(self) -> str:
        """A short, secret-free name for operators (CLI status, logs)."""
        return type(self).__name__

    # Helpers fastapi-maintenance 0.0.5 offered to subclasses; kept so its custom backends run unchanged.

    @staticmethod
    def _bool_to_str(value: bool) -> str:
        """The stored text for a state: ``"1"`` or ``"0"``; ValueError for anything but a bool, 0 or 1."""
        if value not in (0, 1):
            raise ValueError(f"state value is not correct: {value!r} is not a bool")
        return format_state(bool(value))

    @staticmethod
    def _str_to_bool(value: str) -> bool:
        """A stored text as a state (1/0, yes/no, true/false, on/off, ...; empty is off); ValueError otherwise."""
        parsed = parse_state(value)
        if parsed is None:
            raise ValueError(f"state value is not correct: {value!r} is not an on/off value")
        return parsed


def companion(backend: BaseStateBackend, attribute: str, make: Callable[[BaseStateBackend], _T]) -> _T:
    """The object stored on ``backend`` as ``attribute``, made by ``make(backend)`` on first use.

    What the library keeps per backend at runtime (its state keeper, its outage record) lives on the
    backend object itself, so everything sharing one backend shares it, with no module-global registry.
    """
    found: Optional[_T] = getattr(backend, attribute, None)
    if found is None:
        found = make(backend)
        setattr(backend, attribute, found)
    return found
