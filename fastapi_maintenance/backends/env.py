"""The default backend: an environment variable, read-only at runtime."""

from __future__ import annotations

import logging
import os
from typing import Any, Dict, Optional

from ..record import MaintenanceState, plain
from ..settings.backend import DEFAULT_ENV_VAR
from ._parse import StateReader
from .base import BaseStateBackend

logger = logging.getLogger("fastapi_maintenance.backends")

#: 0.0.5 offered the default name as ``fastapi_maintenance.backends.MAINTENANCE_MODE_ENV_VAR_NAME``.
MAINTENANCE_MODE_ENV_VAR_NAME = DEFAULT_ENV_VAR


class EnvVarBackend(BaseStateBackend):
    """Reads the state from an environment variable on each request (no I/O: the environment is memory).

    The parsed value is cached against the raw text, so an unchanged variable
    costs one dictionary lookup; an unrecognised value counts as off, with one
    warning per distinct value.
    """

    read_only = True

    def __init__(self, var_name: Optional[str] = None) -> None:
        #: The name given (None for the default, as in 0.0.5); ``variable`` is the name read.
        self.var_name = var_name
        self.variable = var_name or DEFAULT_ENV_VAR
        # os.environ.get encodes the name and decodes the value on every call (microseconds on a slow
        # machine); CPython's os.environ keeps its data in a plain dict keyed by the encoded name, which
        # os.environ[...] = ..., monkeypatch.setenv and del keep current. Read that dict when it is there.
        data = getattr(os.environ, "_data", None)
        encodekey = getattr(os.environ, "encodekey", None)
        self._environ_data: Optional[Dict[Any, Any]] = data if isinstance(data, dict) else None
        self._environ_key: Any = (
            encodekey(self.variable) if self._environ_data is not None and encodekey else None
        )
        self._raw: Optional[str] = None
        self._stored: Any = None
        self._value = False
        self._state = plain(False)
        self._read = StateReader(f"environment variable {self.variable}")

    def peek(self) -> bool:
        return self.peek_state().active

    def peek_state(self) -> MaintenanceState:
        # Called on every request: an unchanged variable returns the identical record object.
        data = self._environ_data
        if data is not None:
            stored = data.get(self._environ_key)
            if stored is self._stored:
                return self._state
            self._stored = stored
        raw = os.environ.get(self.variable)
        if raw is self._raw or raw == self._raw:
            return self._state
        self._parse(raw)
        return self._state

    def _parse(self, raw: Optional[str]) -> bool:
        parsed = self._read(raw)
        self._raw = raw
        self._value = parsed
        self._state = plain(parsed)
        return parsed

    async def get_value(self) -> bool:
        return self.peek()

    async def set_value(self, value: bool) -> None:
        logger.warning(
            "Cannot set maintenance mode state via environment variable %s (to %s). Environment variables "
            "are read-only during runtime. Set the variable before starting your application, or choose "
            "a writable backend (file, memory, redis).",
            self.variable,
            value,
        )

    def describe(self) -> str:
        return f"env:{self.variable}"
