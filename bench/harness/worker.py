"""A long-lived benchmark worker: one variant (or several), commands on stdin, one JSON line per answer.

Run as ``python -m harness.worker --variant NAME --routes N --workdir DIR``
with ``bench/`` as the working directory. Commands:

- ``check``: verify responses (status codes, bodies, Retry-After), answer ``{"problems": [...]}``
- ``run K``: K requests cycling through the traffic, answer ``{"elapsed": s, "cpu": s, "unexpected": n}``
  (wall-clock seconds, CPU seconds of this process, responses with the wrong status)
- ``fresh K``: K requests to paths never seen before (memory growth), answer like ``run``
- ``rss``: resident memory after a garbage collection, ``{"rss_kb": n}``
- ``profile K FILE``: like ``run`` under cProfile, statistics written to FILE
- ``interleave K B``: with several variants (``--variant a,b,c``), K requests to each, in alternating
  blocks of B; answer ``{"count": K, "times": {name: {"wall": s, "cpu": s}}, "unexpected": {...}}``
- ``quit``: run the lifespan shutdown and exit

The real stdout is kept for the protocol; anything else printing goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import sys
from pathlib import Path
from time import perf_counter, process_time
from typing import Any, Dict, List, Optional, TextIO

from starlette.types import ASGIApp, Message

from .traffic import DISTINCT_PATHS, Receive, StatusCounter, check_app, make_scope, target, traffic
from .variants import BuildContext, Variant, variant


def resident_kb() -> int:
    """VmRSS of this process, in kB, from /proc/self/status."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS line in /proc/self/status")


def package_info(expected_root: Optional[Path]) -> Dict[str, Any]:
    """Versions in use, and a guard that the right ``fastapi_maintenance`` (or none) was imported."""
    from importlib import metadata

    info: Dict[str, Any] = {"python": sys.version.split()[0], "executable": sys.executable}
    for name in ("fastapi", "starlette", "pydantic", "anyio"):
        info[name] = metadata.version(name)
    module = sys.modules.get("fastapi_maintenance")
    if module is None:
        info["fastapi_maintenance"] = None
        if expected_root is not None:
            raise RuntimeError("this variant should use fastapi_maintenance but never imported it")
        return info
    location = Path(getattr(module, "__file__", "") or "").resolve()
    info["fastapi_maintenance"] = getattr(module, "__version__", "?")
    info["fastapi_maintenance_file"] = str(location)
    if expected_root is None:
        raise RuntimeError(f"a plain variant imported fastapi_maintenance from {location}")
    if not location.is_relative_to(expected_root.resolve()):
        raise RuntimeError(f"fastapi_maintenance came from {location}, expected it under {expected_root}")
    return info


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
    """Sends requests to the app, one at a time, the way the timed rounds do."""

    def __init__(self, app: ASGIApp, spec: Variant, route_count: int, distinct: int) -> None:
        self.app = app
        self.spec = spec
        self.route_count = route_count
        self.scopes = [make_scope(t.path) for t in traffic(route_count, distinct)]
        self.position = 0
        self.next_fresh = max(distinct, DISTINCT_PATHS)
        self.expected_status = 503 if spec.maintenance else 200

    async def run(self, count: int) -> Dict[str, Any]:
        app = self.app
        scopes = self.scopes
        size = len(scopes)
        position = self.position
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

    async def fresh(self, count: int) -> Dict[str, Any]:
        """Requests to paths never sent before: a cache keyed by path would grow with each one."""
        app = self.app
        route_count = self.route_count
        first = self.next_fresh
        counter = StatusCounter(self.expected_status)
        send = counter.send
        started = perf_counter()
        for number in range(first, first + count):
            await app(make_scope(target(route_count, number).path), Receive(), send)
        elapsed = perf_counter() - started
        self.next_fresh = first + count
        return {"elapsed": elapsed, "unexpected": counter.unexpected}

    async def profile(self, count: int, output: str) -> Dict[str, Any]:
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            result = await self.run(count)
        finally:
            profiler.disable()
        profiler.dump_stats(output)
        result["profile"] = output
        return result

    async def answer(self, words: List[str]) -> Dict[str, Any]:
        command = words[0]
        if command == "check":
            problems = await check_app(self.app, self.route_count, self.spec.maintenance)
            return {"problems": problems}
        if command == "run":
            return await self.run(int(words[1]))
        if command == "fresh":
            return await self.fresh(int(words[1]))
        if command == "profile":
            return await self.profile(int(words[1]), words[2])
        if command == "rss":
            gc.collect()
            return {"rss_kb": resident_kb()}
        raise ValueError(f"unknown command {command!r}")


class Interleaver:
    """Several variants in one process, driven in alternating blocks of requests.

    Whatever slows the machine down (other processes, frequency changes) hits every variant within a
    few milliseconds of each other, so their throughput ratios are far steadier than across processes.
    """

    def __init__(self, drivers: Dict[str, Driver]) -> None:
        self.drivers = drivers

    async def interleave(self, count: int, block: int) -> Dict[str, Any]:
        names = list(self.drivers)
        times = {name: {"wall": 0.0, "cpu": 0.0} for name in names}
        unexpected = dict.fromkeys(names, 0)
        blocks = max(1, count // block)
        for number in range(blocks):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                result = await self.drivers[name].run(block)
                times[name]["wall"] += result["elapsed"]
                times[name]["cpu"] += result["cpu"]
                unexpected[name] += result["unexpected"]
                # Untimed: let the event loop run between blocks, as a server's does between requests,
                # so a backend's background task (Redis's subscriber) is not starved for a whole round.
                await asyncio.sleep(0)
        return {"count": blocks * block, "times": times, "unexpected": unexpected}

    async def answer(self, words: List[str]) -> Dict[str, Any]:
        command = words[0]
        if command == "interleave":
            return await self.interleave(int(words[1]), int(words[2]))
        if command == "check":
            problems: List[str] = []
            for name, driver in self.drivers.items():
                found = (await driver.answer(["check"]))["problems"]
                problems += [f"{name}: {problem}" for problem in found]
            return {"problems": problems}
        if command in ("run", "fresh", "profile", "rss") and len(self.drivers) == 1:
            return await next(iter(self.drivers.values())).answer(words)
        if command == "rss":
            gc.collect()
            return {"rss_kb": resident_kb()}
        raise ValueError(f"unknown command {command!r} for variants {', '.join(self.drivers)}")


async def serve(arguments: argparse.Namespace, protocol: TextIO) -> None:
    context = BuildContext(arguments.routes, Path(arguments.workdir), arguments.redis_url)
    apps = {}
    drivers: Dict[str, Driver] = {}
    for name in arguments.variant.split(","):
        spec = variant(name)
        apps[name] = spec.build(context)
        drivers[name] = Driver(apps[name], spec, arguments.routes, arguments.distinct)
    expected_root = Path(arguments.expect_package) if arguments.expect_package else None
    info = package_info(expected_root)
    lifespans = [Lifespan(app) for app in apps.values()]
    for lifespan in lifespans:
        await lifespan.startup()
    handler = Interleaver(drivers)
    protocol.write(json.dumps({"ready": True, "info": info}) + "\n")
    loop = asyncio.get_running_loop()
    while True:
        # Read commands in a thread so the event loop (and any backend task) keeps running between rounds.
        line = await loop.run_in_executor(None, sys.stdin.readline)
        words = line.split()
        if not words or words[0] == "quit":
            break
        try:
            answer = await handler.answer(words)
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        protocol.write(json.dumps(answer) + "\n")
    for lifespan in lifespans:
        await lifespan.shutdown()
    protocol.write(json.dumps({"bye": True}) + "\n")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="harness.worker")
    parser.add_argument("--variant", required=True, help="a variant, or several separated by commas")
    parser.add_argument("--routes", type=int, required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--distinct", type=int, default=DISTINCT_PATHS)
    parser.add_argument("--expect-package", default=None, help="folder fastapi_maintenance must come from")
    arguments = parser.parse_args(argv)
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        asyncio.run(serve(arguments, protocol))
    except BaseException as exc:
        protocol.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
