"""Where a variant's time goes: cProfile in its worker, summed per request, package functions first."""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any, Callable, Dict, List

from .pool import Places, Worker

Log = Callable[[str], None]


def per_request(stats_file: Path, requests: int, package: str = "fastapi_maintenance") -> Dict[str, Any]:
    """Per-request calls, own time and cumulative time (microseconds) of every profiled function."""
    stats = pstats.Stats(str(stats_file))
    raw: Dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows: List[Dict[str, Any]] = []
    total = 0.0
    for (filename, line, function), (_, calls, own, cumulative, _) in raw.items():
        total += own
        rows.append(
            {
                "function": f"{filename}:{line}({function})",
                "ours": f"/{package}/" in filename,
                "calls": calls / requests,
                "own_us": own / requests * 1e6,
                "cumulative_us": cumulative / requests * 1e6,
            }
        )
    rows.sort(key=lambda row: row["own_us"], reverse=True)
    return {"total_us": total / requests * 1e6, "functions": rows}


def profile_variant(name: str, route_count: int, requests: int, places: Places, log: Log) -> Dict[str, Any]:
    worker = Worker(name, route_count, places)
    try:
        worker.wait_ready()
        problems = worker.check()
        if problems:
            raise RuntimeError(f"profile, {name}: wrong responses: {problems}")
        worker.run(2000)
        output = places.workdir / f"{name}-{route_count}.pstats"
        worker.ask(f"profile {requests} {output}", timeout=900)
    finally:
        worker.close()
    return per_request(output, requests)


def print_profile(name: str, profile: Dict[str, Any], log: Log, limit: int = 25) -> None:
    log(
        f"profile of {name}: {profile['total_us']:.1f} us of profiled time per request (cProfile inflates it)"
    )
    ours = [row for row in profile["functions"] if row["ours"]]
    own_total = sum(row["own_us"] for row in ours)
    log(f"  fastapi_maintenance functions, own time: {own_total:.1f} us per request")
    for row in sorted(ours, key=lambda row: row["cumulative_us"], reverse=True)[:limit]:
        log(
            f"    {row['calls']:6.2f} calls  own {row['own_us']:6.2f} us  cumulative {row['cumulative_us']:7.2f} us  "
            f"{row['function']}"
        )
    log("  top functions overall by own time:")
    for row in profile["functions"][:limit]:
        log(f"    {row['calls']:6.2f} calls  own {row['own_us']:6.2f} us  {row['function']}")
