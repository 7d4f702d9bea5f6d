"""The default backend: an environment variable, read-only at runtime."""

from __future__ import annotations

import logging
import os
from typing import Optional

from ._parse import StateReader
from .base import BaseStateBackend

logger = logging.getLogger("fastapi_maintenance")

DEFAULT_ENV_VAR = "FASTAPI_MAINTENANCE_MODE"


class EnvVarBackend(BaseStateBackend):
    """Reads the state from an environment variable on each request (no I/O: the environment is memory).

    The parsed value is cached against the raw text, so an unchanged variable
    costs one dictionary lookup; an unrecognised value counts as off, with one
    warning per distinct value.
    """

    read_only = True

    def __init__(self, var_name: Optional[str] = None) -> None:
        self.var_name = var_name or DEFAULT_ENV_VAR
        self._raw: Optional[str] = None
        self._value = False
        self._read = StateReader(f"Environment variable {self.var_name}")

    def peek(self) -> bool:
        raw = os.environ.get(self.var_name)
        if raw is self._raw or raw == self._raw:
            return self._value
        return self._parse(raw)

    def _parse(self, raw: Optional[str]) -> bool:
        parsed = self._read(raw)
        self._raw = raw
        self._value = parsed
        return parsed

    async def get_value(self) -> bool:
        return self.peek()

    async def set_value(self, value: bool) -> None:
        logger.warning(
            "The environment variable backend is read-only: maintenance mode was not set to %s. "
            "Set %s before starting the app, or choose a writable backend (file, memory, redis).",
            value,
            self.var_name,
        )

    def describe(self) -> str:
        return f"env:{self.var_name}"
