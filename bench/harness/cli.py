"""``python bench/run.py``: run the harnesses, write the report, optionally check the budgets."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional

from .budgets import all_met, evaluate
from .http_load import Places, run_http
from .paired import ON_COMPARISONS, ON_VARIANTS, off_variants, run_paired
from .processes import BENCH_DIR, REPO_ROOT
from .redis_server import private_redis
from .report import render

RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"
HTTP_VARIANTS = ["bare", "floor", "ours-env", "ours-file", "bare-503", "ours-on"]
HTTP_COMPARISONS = [
    ("floor", "bare"),
    ("ours-env", "bare"),
    ("ours-file", "bare"),
    ("ours-on", "bare-503"),
    ("ours-on", "bare"),
]
_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def _numbers(text: str) -> List[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Benchmark fastapi-maintenance against a bare app and a do-nothing middleware.",
    )
    p.add_argument("--quick", action="store_true", help="a short run: 5 rounds, 10 and 50 routes, no HTTP")
    p.add_argument("--routes", type=_numbers, help="route counts, maintenance off (default 10,50,100,1000)")
    p.add_argument("--on-routes", type=_numbers, help="route counts, maintenance on (default 50,1000)")
    p.add_argument("--rounds", type=int, help="interleaved rounds per group (default 25; quick 5)")
    p.add_argument("--round-seconds", type=float, default=0.1, help="length of one variant's run in a round")
    p.add_argument("--clock", choices=["cpu", "wall"], default="cpu", help="clock the budgets are judged on")
    http = p.add_mutually_exclusive_group()
    http.add_argument("--http", dest="http", action="store_true", default=None, help="run the HTTP harness")
    http.add_argument("--no-http", dest="http", action="store_false", help="skip the HTTP harness")
    p.add_argument("--http-routes", type=int, default=100)
    p.add_argument("--http-rounds", type=int, default=9)
    p.add_argument("--http-seconds", type=int, default=3, help="wrk -d, per variant per round")
    p.add_argument("--http-connections", type=int, default=32)
    p.add_argument("--no-redis", action="store_true", help="skip the Redis backend variant")
    p.add_argument(
        "--output", type=Path, help="Markdown report (default docs/benchmarks.md; quick: bench/results)"
    )
    p.add_argument("--check", action="store_true", help="exit 1 when a budget is missed or not measured")
    p.add_argument("--recheck", type=Path, metavar="JSON", help="evaluate (and render) a saved results file")
    return p


def _cpu_model() -> str:
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        found = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    return found[0] if found else platform.processor() or "unknown"


def _output(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()


def metadata_block(arguments: List[str], wrk: Optional[str], rounds: str, clock: str) -> Dict[str, Any]:
    framework = " / ".join(metadata.version(name) for name in ("fastapi", "starlette", "pydantic", "anyio"))
    commit = _output("git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD")
    dirty = _output("git", "-C", str(REPO_ROOT), "status", "--porcelain", "fastapi_maintenance")
    from fastapi_maintenance import __version__

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python bench/run.py", *arguments]),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "framework": framework,
        "uvicorn": metadata.version("uvicorn"),
        "wrk": "not used" if wrk is None else _output(wrk, "--version").split(" Copyright", 1)[0],
        "ours": f"{__version__} (commit {commit or '?'}{', with local changes' if dirty else ''})",
        "rounds": rounds,
        "clock": clock,
    }


def _redis_unavailable() -> Optional[str]:
    """Why the Redis variant cannot run, or None when it can."""
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis client library is not installed"
    return None if shutil.which("redis-server") else "redis-server is not installed"


def finish(results: Dict[str, Any], output: Optional[Path], check: bool) -> int:
    budgets = evaluate(results)
    results["budgets"] = [budget.as_dict() for budget in budgets]
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render(results, budgets), encoding="utf-8")
        log(f"report written to {output}")
    for budget in budgets:
        median = "-" if budget.median is None else f"{budget.median:.2f}x"
        log(f"budget {budget.status:>12}: {budget.description} [{budget.where}] {budget.ratio} = {median}")
    if check and not all_met(budgets):
        log("check: FAILED (a budget was missed or not measured)")
        return 1
    if check:
        log("check: every budget met")
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Optional[List[str]] = None) -> int:
    # A terminated run (``timeout``, ``kill``) still stops its workers, servers and redis-server.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    raw = list(sys.argv[1:] if argv is None else argv)
    arguments = parser().parse_args(raw)
    if arguments.recheck is not None:
        saved: Dict[str, Any] = json.loads(arguments.recheck.read_text(encoding="utf-8"))
        return finish(saved, arguments.output, arguments.check)
    quick = arguments.quick
    route_counts = arguments.routes or ([10, 50] if quick else [10, 50, 100, 1000])
    on_counts = arguments.on_routes or ([50] if quick else [50, 1000])
    rounds = arguments.rounds or (5 if quick else 25)
    with_http = arguments.http if arguments.http is not None else not quick
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    output = arguments.output or (RESULTS_DIR / f"{stamp}-quick.md" if quick else DEFAULT_OUTPUT)
    skipped: Dict[str, str] = {}
    wrk = shutil.which("wrk") if with_http else None
    if with_http and wrk is None:
        skipped["HTTP harness"] = "wrk is not installed (apt-get install wrk)"
    elif not with_http:
        skipped["HTTP harness"] = "skipped (--no-http, or --quick without --http)"

    results: Dict[str, Any] = {"paired": [], "skipped": skipped}
    with ExitStack() as stack:
        redis_url: Optional[str] = None
        why_not_redis = "skipped with --no-redis" if arguments.no_redis else _redis_unavailable()
        if why_not_redis is None:
            redis_url = stack.enter_context(private_redis())
            if redis_url is None:
                why_not_redis = "no redis-server could be started on 127.0.0.1"
        if why_not_redis is not None:
            skipped["Redis backend variant"] = why_not_redis
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fastapi-maintenance-bench-")))
        common: Dict[str, Any] = {
            "rounds": rounds,
            "round_seconds": arguments.round_seconds,
            "log": log,
            "clock": arguments.clock,
            "redis_url": redis_url,
        }
        for count in route_counts:
            names = off_variants(redis_url is not None)
            comparisons = [(name, "bare") for name in names if name != "bare"]
            label = f"off, same process, {count} routes"
            results["paired"].append(run_paired(label, names, comparisons, count, workdir, **common))
        for count in on_counts:
            label = f"on, same process, {count} routes"
            results["paired"].append(run_paired(label, ON_VARIANTS, ON_COMPARISONS, count, workdir, **common))
        if wrk is not None:
            results["http"] = run_http(
                HTTP_VARIANTS,
                HTTP_COMPARISONS,
                arguments.http_routes,
                Places(workdir, redis_url),
                wrk=wrk,
                rounds=arguments.http_rounds,
                seconds=arguments.http_seconds,
                connections=arguments.http_connections,
                log=log,
                clock=arguments.clock,
            )
    rounds_text = f"{rounds} in-process rounds of about {arguments.round_seconds} s per variant"
    results["meta"] = metadata_block(raw, wrk, rounds_text, arguments.clock)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    raw_path = RESULTS_DIR / f"{stamp}.json"
    status = finish(results, output, arguments.check)
    raw_path.write_text(json.dumps(results, indent=1), encoding="utf-8")
    log(f"raw results: {raw_path}")
    return status
