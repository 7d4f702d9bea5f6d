"""Resident memory of a worker after many requests to distinct paths: nothing may grow with them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List

from .pool import Places, Worker

Log = Callable[[str], None]
WARM_UP = 2000


def checkpoints(total: int) -> List[int]:
    """Request counts at which memory is read: a tenth, a quarter, a half, all of ``total``."""
    return sorted({max(1, total // 10), max(1, total // 4), max(1, total // 2), total})


def measure_one(name: str, route_count: int, total: int, places: Places) -> Dict[str, Any]:
    worker = Worker(name, route_count, places)
    try:
        worker.wait_ready()
        problems = worker.check()
        if problems:
            raise RuntimeError(f"memory run, {name}: wrong responses: {problems}")
        worker.ask(f"fresh {WARM_UP}")
        readings = {0: int(worker.ask("rss")["rss_kb"])}
        done = 0
        for point in checkpoints(total):
            answer = worker.ask(f"fresh {point - done}", timeout=900)
            if answer["unexpected"]:
                raise RuntimeError(f"memory run, {name}: {answer['unexpected']} wrong statuses")
            done = point
            readings[point] = int(worker.ask("rss")["rss_kb"])
    finally:
        worker.close()
    first = checkpoints(total)[0]
    return {
        "rss_kb": readings,
        "final_kb": readings[total],
        "growth_kb": readings[total] - readings[first],
        "growth_from": first,
    }


def run_memory(names: List[str], route_count: int, total: int, places: Places, log: Log) -> Dict[str, Any]:
    """Each variant in a fresh worker, two at a time (timing does not matter here, memory does)."""
    log(f"memory: {total} requests to distinct paths, {route_count} routes: {', '.join(names)}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(measure_one, name, route_count, total, places) for name in names}
        measured = {name: future.result() for name, future in futures.items()}
    for name, result in measured.items():
        log(f"  {name}: {result['final_kb'] / 1024:.1f} MiB, growth {result['growth_kb']} kB")
    return {"route_count": route_count, "requests": total, "variants": measured}
