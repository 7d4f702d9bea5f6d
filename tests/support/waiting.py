"""Waiting in async tests for something another task, process or server makes true."""

from __future__ import annotations

import inspect
import time
from typing import Awaitable, Callable, Union

import anyio
import pytest


async def eventually(probe: Callable[[], Union[bool, Awaitable[bool]]], *, within: float, what: str) -> float:
    """Poll ``probe`` (plain or async) until it holds; return how long that took, or fail saying ``what``
    was awaited after ``within`` seconds."""
    start = time.monotonic()
    while True:
        answer = probe()
        if await answer if inspect.isawaitable(answer) else answer:
            return time.monotonic() - start
        if time.monotonic() - start > within:
            pytest.fail(f"{what}: not seen within {within} s")
        await anyio.sleep(0.01)
