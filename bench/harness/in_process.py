"""In-process rounds: the bare app and the variants in one worker process, interleaved in blocks.

Separate processes scattered by 10 to 20 percent per round on a shared 2-core machine, as much as
the budgets' margins; sharing one process and alternating every 16 requests, the per-round ratios
agree to about a percent. Each group runs in a fresh worker (``python -m bench.harness.in_process``)
pinned to one core, with the env backend's variable set to the group's state. Time is the worker's CPU time, which
other processes competing for the cores do not inflate.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from pathlib import Path
from time import process_time
from typing import Any, AsyncIterator, Callable, Dict, List, Sequence, Tuple

import httpx
from starlette.types import ASGIApp, Message

from .processes import start_measured
from .report import Round, analyse
from .traffic import DISTINCT_PATHS, STATIC_EVERY, check_responses, traffic
from .variants import BuildContext, variant

Log = Callable[[str], None]
#: Requests per turn of one variant (every variant gets the same requests in the same order).
BLOCK = STATIC_EVERY
CALIBRATION = 10 * BLOCK
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
    """Sends the traffic to one app, one request at a time, counting wrong statuses."""

    def __init__(
        self, app: ASGIApp, maintenance: bool, route_count: int, distinct: int = DISTINCT_PATHS
    ) -> None:
        self.app = app
        self.scopes = [make_scope(path) for path, _ in traffic(route_count, distinct)]
        self.position = 0
        self.expected_status = 503 if maintenance else 200
        self.unexpected = 0

    async def _send(self, message: Message) -> None:
        """The timed loop's ``send``: counts wrong statuses, so a round that answered wrongly is caught too."""
        if message["type"] == "http.response.start" and message["status"] != self.expected_status:
            self.unexpected += 1

    async def run(self, count: int) -> float:
        """CPU seconds for the next ``count`` requests."""
        app, scopes, position, send = self.app, self.scopes, self.position, self._send
        size = len(scopes)
        started = process_time()
        for offset in range(count):
            await app(dict(scopes[(position + offset) % size]), Receive(), send)
        elapsed = process_time() - started
        self.position = (position + count) % size
        return elapsed


async def interleave(drivers: Dict[str, Driver], count: int, block: int = BLOCK) -> Round:
    """About ``count`` requests per driver, in turns of ``block``, rotating their order; raises when any
    request got the wrong status. Whatever slows the machine hits every variant within milliseconds."""
    names = list(drivers)
    seconds = dict.fromkeys(names, 0.0)
    turns = max(1, count // block)
    for number in range(turns):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            seconds[name] += await drivers[name].run(block)
            # Untimed: let the event loop run between turns, as a server's does between requests,
            # so a backend's background task (Redis's subscriber) is not starved for a whole round.
            await asyncio.sleep(0)
    wrong = {name: driver.unexpected for name, driver in drivers.items() if driver.unexpected}
    if wrong:
        raise RuntimeError(f"requests answered with an unexpected status: {wrong}")
    throughput = {name: turns * block / spent for name, spent in seconds.items()}
    reference = throughput.get("bare", 1.0)
    return {
        "throughput": throughput,
        "relative": {name: each / reference for name, each in throughput.items()},
    }


async def measure(
    names: Sequence[str], context: BuildContext, *, rounds: int, round_seconds: float, log: Log
) -> List[Round]:
    """Build the variants here, check their answers, calibrate, then time ``rounds`` interleaved rounds."""
    apps = {name: variant(name).build(context) for name in names}
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(lifespan(app))
        count = context.route_count
        problems = [
            f"{name}: {problem}"
            for name, app in apps.items()
            for problem in await check_app(app, count, variant(name).maintenance)
        ]
        if problems:
            raise RuntimeError(f"wrong responses: {problems}")
        drivers = {name: Driver(app, variant(name).maintenance, count) for name, app in apps.items()}
        await interleave(drivers, CALIBRATION)  # warm-up
        calibration = await interleave(drivers, CALIBRATION)
        elapsed = sum(CALIBRATION / each for each in calibration["throughput"].values())
        wanted = int(round_seconds * len(names) * CALIBRATION / elapsed)
        per_round = max(BLOCK, wanted - wanted % BLOCK)
        measured: List[Round] = []
        for number in range(rounds):
            measured.append(await interleave(drivers, per_round))
            shown = ", ".join(
                f"{name} {measured[-1]['relative'][name]:.3f}" for name in names if name != "bare"
            )
            log(f"  round {number + 1}/{rounds}: {shown}")
        return measured


def run_in_process(
    label: str,
    names: List[str],
    comparisons: List[Tuple[str, str]],
    context: BuildContext,
    *,
    rounds: int,
    round_seconds: float,
    log: Log,
) -> Dict[str, Any]:
    """One group measured in a fresh worker process pinned to the measured core, and summarised."""
    log(f"in-process: {label}: {', '.join(names)}")
    arguments = [
        ",".join(names),
        context.route_count,
        context.workdir,
        rounds,
        round_seconds,
        context.redis_url or "",
    ]
    maintenance = any(variant(name).maintenance for name in names)
    worker = start_measured("in_process", arguments, maintenance, stdout=subprocess.PIPE, text=True)
    output, _ = worker.communicate(timeout=600 + rounds * round_seconds * len(names) * 4)
    if worker.returncode != 0:
        raise RuntimeError(f"{label}: the worker exited with {worker.returncode} (its error is above)")
    measured: List[Round] = json.loads(output)
    summaries = analyse(measured, names, comparisons)
    return {
        "label": label,
        "route_count": context.route_count,
        "variants": names,
        "rounds": measured,
        **summaries,
    }


def main() -> int:
    """The worker: measure the group given on the command line, print its rounds as JSON."""
    names, route_count, workdir, rounds, round_seconds, redis_url = sys.argv[1:]
    context = BuildContext(int(route_count), Path(workdir), redis_url or None)
    log = partial(print, file=sys.stderr, flush=True)
    group = measure(
        names.split(","), context, rounds=int(rounds), round_seconds=float(round_seconds), log=log
    )
    print(json.dumps(asyncio.run(group)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
