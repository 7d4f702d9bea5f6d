"""Driving ASGI apps directly, one request at a time: lifespan, timed runs, blocks interleaved in one process."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from time import perf_counter, process_time
from typing import Any, AsyncIterator, Dict, List

import httpx
from starlette.types import ASGIApp, Message

from .traffic import DISTINCT_PATHS, check_responses, traffic

_HEADERS = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")]


def make_scope(path: str) -> Dict[str, Any]:
    """An HTTP scope as uvicorn would build it for ``GET path``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path,
        "raw_path": path.encode("ascii"),
        "query_string": b"",
        "headers": _HEADERS,
        "state": {},
    }


class Receive:
    """One request without a body; afterwards waits, like a server, until the client goes away."""

    __slots__ = ("_sent",)

    def __init__(self) -> None:
        self._sent = False

    async def __call__(self) -> Message:
        if not self._sent:
            self._sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")  # pragma: no cover


@asynccontextmanager
async def lifespan(app: ASGIApp) -> AsyncIterator[None]:
    """Runs the app's lifespan protocol around the benchmark, as a server would."""
    incoming: asyncio.Queue[Message] = asyncio.Queue()
    outgoing: asyncio.Queue[Message] = asyncio.Queue()

    async def run() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        try:
            await app(scope, incoming.get, outgoing.put)
        except BaseException as exc:
            await outgoing.put({"type": "lifespan.crashed", "message": repr(exc)})
            raise

    async def exchange(event: str) -> None:
        await incoming.put({"type": f"lifespan.{event}"})
        answer = await asyncio.wait_for(outgoing.get(), timeout=30)
        if answer["type"] != f"lifespan.{event}.complete":
            raise RuntimeError(f"lifespan {event}: the app answered {answer}")

    task = asyncio.create_task(run())
    await exchange("startup")
    try:
        yield
    finally:
        await exchange("shutdown")
        await asyncio.wait_for(task, timeout=30)


async def check_app(app: ASGIApp, route_count: int, maintenance: bool, sample: int = 64) -> List[str]:
    """Problems in the app's answers to a sample of the traffic (empty: all correct)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        return await check_responses(client, route_count, maintenance, sample)


class Driver:
    """Sends the benchmark's traffic to one app, one request at a time, counting wrong statuses."""

    def __init__(
        self, app: ASGIApp, maintenance: bool, route_count: int, distinct: int = DISTINCT_PATHS
    ) -> None:
        self.app = app
        self.scopes = [make_scope(t.path) for t in traffic(route_count, distinct)]
        self.position = 0
        self.expected_status = 503 if maintenance else 200
        self.unexpected = 0

    async def _send(self, message: Message) -> None:
        """The timed loop's ``send``: counts wrong statuses, so a round that answered wrongly is caught too."""
        if message["type"] == "http.response.start" and message["status"] != self.expected_status:
            self.unexpected += 1

    async def run(self, count: int) -> Dict[str, float]:
        app, scopes, position, send = self.app, self.scopes, self.position, self._send
        size = len(scopes)
        cpu_started = process_time()
        started = perf_counter()
        for offset in range(count):
            await app(dict(scopes[(position + offset) % size]), Receive(), send)
        elapsed = perf_counter() - started
        cpu = process_time() - cpu_started
        self.position = (position + count) % size
        return {"wall": elapsed, "cpu": cpu}


async def interleave(drivers: Dict[str, Driver], count: int, block: int) -> Dict[str, Any]:
    """About ``count`` requests per driver, in alternating blocks of ``block``, rotating their order.

    Whatever slows the machine (other processes, frequency changes) hits every variant within a few
    milliseconds of each other, so their throughput ratios are far steadier than across processes.
    Raises when any request got the wrong status.
    """
    names = list(drivers)
    times = {name: {"wall": 0.0, "cpu": 0.0} for name in names}
    blocks = max(1, count // block)
    for number in range(blocks):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            for clock, seconds in (await drivers[name].run(block)).items():
                times[name][clock] += seconds
            # Untimed: let the event loop run between blocks, as a server's does between requests,
            # so a backend's background task (Redis's subscriber) is not starved for a whole round.
            await asyncio.sleep(0)
    wrong = {name: driver.unexpected for name, driver in drivers.items() if driver.unexpected}
    if wrong:
        raise RuntimeError(f"requests answered with an unexpected status: {wrong}")
    return {"count": blocks * block, "times": times}
