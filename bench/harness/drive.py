"""Driving ASGI apps directly, one request at a time: lifespan, timed runs, blocks interleaved in one process."""

from __future__ import annotations

import asyncio
from time import perf_counter, process_time
from typing import Any, Dict, Optional

from starlette.types import ASGIApp, Message

from .traffic import DISTINCT_PATHS, Receive, StatusCounter, make_scope, traffic


class Lifespan:
    """Runs the app's lifespan protocol around the benchmark, as a server would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._incoming: asyncio.Queue[Message] = asyncio.Queue()
        self._outgoing: asyncio.Queue[Message] = asyncio.Queue()
        self._task: Optional[asyncio.Task[None]] = None

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        try:
            await self.app(scope, self._incoming.get, self._outgoing.put)
        except BaseException as exc:
            await self._outgoing.put({"type": "lifespan.crashed", "message": repr(exc)})
            raise

    async def _exchange(self, message: Message, expected: str) -> None:
        await self._incoming.put(message)
        answer = await asyncio.wait_for(self._outgoing.get(), timeout=30)
        if answer["type"] != expected:
            raise RuntimeError(f"lifespan: expected {expected}, got {answer}")

    async def startup(self) -> None:
        self._task = asyncio.create_task(self._run())
        await self._exchange({"type": "lifespan.startup"}, "lifespan.startup.complete")

    async def shutdown(self) -> None:
        await self._exchange({"type": "lifespan.shutdown"}, "lifespan.shutdown.complete")
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=30)


class Driver:
    """Sends the benchmark's traffic to one app, one request at a time, counting wrong statuses."""

    def __init__(
        self, app: ASGIApp, maintenance: bool, route_count: int, distinct: int = DISTINCT_PATHS
    ) -> None:
        self.app = app
        self.scopes = [make_scope(t.path) for t in traffic(route_count, distinct)]
        self.position = 0
        self.expected_status = 503 if maintenance else 200

    async def run(self, count: int) -> Dict[str, Any]:
        app, scopes, position = self.app, self.scopes, self.position
        size = len(scopes)
        counter = StatusCounter(self.expected_status)
        send = counter.send
        cpu_started = process_time()
        started = perf_counter()
        for offset in range(count):
            await app(dict(scopes[(position + offset) % size]), Receive(), send)
        elapsed = perf_counter() - started
        cpu = process_time() - cpu_started
        self.position = (position + count) % size
        return {"elapsed": elapsed, "cpu": cpu, "unexpected": counter.unexpected}


async def interleave(drivers: Dict[str, Driver], count: int, block: int) -> Dict[str, Any]:
    """About ``count`` requests per driver, in alternating blocks of ``block``, rotating their order.

    Whatever slows the machine (other processes, frequency changes) hits every variant within a few
    milliseconds of each other, so their throughput ratios are far steadier than across processes.
    Raises when any request got the wrong status.
    """
    names = list(drivers)
    times = {name: {"wall": 0.0, "cpu": 0.0} for name in names}
    unexpected = dict.fromkeys(names, 0)
    blocks = max(1, count // block)
    for number in range(blocks):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            result = await drivers[name].run(block)
            times[name]["wall"] += result["elapsed"]
            times[name]["cpu"] += result["cpu"]
            unexpected[name] += result["unexpected"]
            # Untimed: let the event loop run between blocks, as a server's does between requests,
            # so a backend's background task (Redis's subscriber) is not starved for a whole round.
            await asyncio.sleep(0)
    wrong = {name: found for name, found in unexpected.items() if found}
    if wrong:
        raise RuntimeError(f"requests answered with an unexpected status: {wrong}")
    return {"count": blocks * block, "times": times}
