"""The default backend: an environment variable, read-only at runtime."""

from __future__ import annotations

import logging
import os
from typing import Optional

from ._parse import parse_state
from .base import BaseStateBackend

logger = logging.getLogger("fastapi_maintenance")

DEFAULT_ENV_VAR = "FASTAPI_MAINTENANCE_MODE"


class EnvVarBackend(BaseStateBackend):
    """Reads the state from an environment variable on each request (no I/O: the environment is memory).

    The parsed value is cached against the raw text, so an unchanged variable
    costs one dictionary lookup; an unrecognised value counts as off and is
    warned about once per distinct value, never once per request.
    """

    read_only = True

    def __init__(self, var_name: Optional[str] = None) -> None:
        self.var_name = var_name or DEFAULT_ENV_VAR
        self._raw: Optional[str] = None
        self._value = False
        self._warned: Optional[str] = None

    def peek(self) -> bool:
        raw = os.environ.get(self.var_name)
        if raw is self._raw or raw == self._raw:
            return self._value
        return self._parse(raw)

    def _parse(self, raw: Optional[str]) -> bool:
        parsed = parse_state(raw)
        if parsed is None:
            if self._warned != raw:
                self._warned = raw
                logger.warning(
                    "Environment variable %s=%r is not a recognised on/off value "
                    "(use 1/0, yes/no, true/false, on/off); maintenance mode is treated as off.",
                    self.var_name,
                    raw,
                )
            parsed = False
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
