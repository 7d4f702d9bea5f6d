"""The default backend: an environment variable, read-only at runtime."""

from __future__ import annotations

import logging
import os
from typing import Optional

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
    costs one ``os.environ`` lookup and a string comparison; an unrecognised value counts as off, with one
    warning per distinct value.
    """

    read_only = True

    def __init__(self, var_name: Optional[str] = None) -> None:
        #: The name given (None for the default, as in 0.0.5); ``variable`` is the name read.
        self.var_name = var_name
        self.variable = var_name or DEFAULT_ENV_VAR
        self._raw: Optional[str] = None
        self._state = plain(False)
        self._read = StateReader(f"environment variable {self.variable}")

    def peek(self) -> bool:
        return self.peek_state().active

    def peek_state(self) -> MaintenanceState:
        # Called on every request: an unchanged variable returns the identical record object.
        raw = os.environ.get(self.variable)
        if raw != self._raw:
            self._raw = raw
            self._state = plain(self._read(raw))
        return self._state

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
