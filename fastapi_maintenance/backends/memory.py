"""A backend that keeps the state in this process only: tests, single-process apps."""

from __future__ import annotations

from typing import Optional

from ..record import MaintenanceState, plain
from .base import BaseStateBackend


class MemoryBackend(BaseStateBackend):
    """State held in memory, the whole record; not shared with other processes."""

    def __init__(self, value: bool = False) -> None:
        self._state = plain(bool(value))

    async def get_value(self) -> bool:
        return self._state.in_effect()

    async def set_value(self, value: bool) -> None:
        self._state = plain(bool(value))

    async def get_state(self) -> MaintenanceState:
        return self._state

    async def set_state(self, state: MaintenanceState) -> None:
        self._state = state

    def peek(self) -> Optional[bool]:
        return self._state.in_effect()

    def peek_state(self) -> Optional[MaintenanceState]:
        return self._state

    def describe(self) -> str:
        return "memory"
