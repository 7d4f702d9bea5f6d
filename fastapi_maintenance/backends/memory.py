"""A backend that keeps the state in this process only: tests, single-process apps."""

from __future__ import annotations

from typing import Optional

from .base import BaseStateBackend


class MemoryBackend(BaseStateBackend):
    """State held in memory; not shared with other processes."""

    def __init__(self, value: bool = False) -> None:
        self._value = value

    async def get_value(self) -> bool:
        return self._value

    async def set_value(self, value: bool) -> None:
        self._value = bool(value)

    def peek(self) -> Optional[bool]:
        return self._value

    def describe(self) -> str:
        return "memory"
