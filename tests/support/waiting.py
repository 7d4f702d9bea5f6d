"""Waiting in async tests for something another task, process or server makes true."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

import pytest


async def wait_for(condition: Callable[[], bool], within: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail saying ``what`` was awaited after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {within}s")
        await asyncio.sleep(0.01)
