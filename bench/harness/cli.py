"""``python bench/run.py``: run the harnesses, write the report, optionally check the budgets."""

from __future__ import annotations

import argparse
import importlib.util
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

from fastapi_maintenance import __version__

from .http_load import run_http
from .in_process import run_in_process
from .processes import REPO_ROOT, private_redis
from .report import evaluate, render, write_report
from .variants import BuildContext

RESULTS_DIR = REPO_ROOT / "bench" / "results"
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"
OFF_VARIANTS = ["bare", "floor", "ours-env", "ours-file", "ours-memory", "ours-redis"]
ON_VARIANTS = ["bare", "bare-503", "ours-on"]
ON_COMPARISONS = [("ours-on", "bare-503"), ("bare-503", "bare"), ("ours-on", "bare")]
HTTP_VARIANTS = ["bare", "floor", "ours-env", "ours-file", "bare-503", "ours-on"]
HTTP_COMPARISONS = [("floor", "bare"), ("ours-env", "bare"), ("ours-file", "bare"), ("ours-on", "bare-503")]
HTTP_ROUTES, HTTP_ROUNDS, HTTP_SECONDS, HTTP_CONNECTIONS = 100, 9, 3, 32
ROUND_SECONDS = 0.1
_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def _numbers(text: str) -> List[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return values


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python bench/run.py", description="Benchmark fastapi-maintenance.")
    p.add_argument(
        "--quick", action="store_true", help="5 rounds, 10 and 50 routes, no HTTP; report to bench/results"
    )
    p.add_argument("--routes", type=_numbers, help="app sizes, maintenance off (default 10,50,100,1000)")
    p.add_argument("--rounds", type=int, help="in-process rounds per group (default 25; quick 5)")
    p.add_argument(
        "--http", action=argparse.BooleanOptionalAction, help="run the HTTP rounds (default: not quick)"
    )
    p.add_argument("--no-redis", action="store_true", help="leave out the Redis backend variant")
    p.add_argument("--output", type=Path, help="Markdown report (default docs/benchmarks.md)")
    p.add_argument("--check", action="store_true", help="exit 1 when a budget is missed or not measured")
    return p


def _output(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()


def describe_run(arguments: List[str], wrk: Optional[str], rounds: int) -> Dict[str, str]:
    """The report's "This run" table: what was run, where, with which versions."""
    commit = _output("git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD")
    dirty = _output("git", "-C", str(REPO_ROOT), "status", "--porcelain", "fastapi_maintenance")
    versions = ("fastapi", "starlette", "pydantic", "uvicorn")
    return {
        "Date (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "Command": " ".join(["`python bench/run.py", *arguments]) + "`",
        "Machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        " / ".join(versions): " / ".join(metadata.version(name) for name in versions),
        "wrk": "not used" if wrk is None else _output(wrk, "--version").split(" Copyright", 1)[0],
        "fastapi-maintenance": f"{__version__}, commit {commit or '?'}{' with local changes' if dirty else ''}",
        "Rounds": f"{rounds} in-process rounds of about {ROUND_SECONDS} s per variant",
    }


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Optional[List[str]] = None) -> int:
    # A terminated run (``timeout``, ``kill``) still stops its workers, servers and redis-server.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    raw = list(sys.argv[1:] if argv is None else argv)
    arguments = parser().parse_args(raw)
    quick = arguments.quick
    route_counts = arguments.routes or ([10, 50] if quick else [10, 50, 100, 1000])
    on_counts = [50] if quick else [50, 1000]
    rounds = arguments.rounds or (5 if quick else 25)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    output = arguments.output or (RESULTS_DIR / f"{stamp}-quick.md" if quick else DEFAULT_OUTPUT)
    skipped: Dict[str, str] = {}
    wrk = shutil.which("wrk")
    if not (arguments.http if arguments.http is not None else not quick):
        skipped["HTTP rounds"], wrk = "left out (--no-http, or --quick without --http)", None
    elif wrk is None:
        skipped["HTTP rounds"] = "wrk is not installed (apt-get install wrk)"
    results: Dict[str, Any] = {"in_process": [], "skipped": skipped}
    with ExitStack() as stack:
        redis_url: Optional[str] = None
        if arguments.no_redis or importlib.util.find_spec("redis") is None:
            skipped["Redis backend variant"] = "--no-redis, or the redis client library is not installed"
        elif (redis_url := stack.enter_context(private_redis())) is None:
            skipped["Redis backend variant"] = (
                "no redis-server could be started on 127.0.0.1 (is it installed?)"
            )
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fastapi-maintenance-bench-")))
        off_names = [name for name in OFF_VARIANTS if redis_url is not None or name != "ours-redis"]
        groups = [
            (f"off, {count} routes", count, off_names, [(n, "bare") for n in off_names[1:]])
            for count in route_counts
        ]
        groups += [(f"on, {count} routes", count, ON_VARIANTS, ON_COMPARISONS) for count in on_counts]
        for label, count, names, comparisons in groups:
            context = BuildContext(count, workdir, redis_url)
            measured = run_in_process(
                label, names, comparisons, context, rounds=rounds, round_seconds=ROUND_SECONDS, log=log
            )
            results["in_process"].append(measured)
        if wrk is not None:
            context = BuildContext(HTTP_ROUTES, workdir, redis_url)
            results["http"] = run_http(
                HTTP_VARIANTS,
                HTTP_COMPARISONS,
                context,
                wrk=wrk,
                rounds=HTTP_ROUNDS,
                seconds=HTTP_SECONDS,
                connections=HTTP_CONNECTIONS,
                log=log,
            )
    results["meta"] = describe_run(raw, wrk, rounds)
    budgets = evaluate(results)
    results["budgets"] = [budget.as_dict() for budget in budgets]
    write_report(output, render(results, budgets))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    log(f"report: {output}; raw figures: {RESULTS_DIR / f'{stamp}.json'}")
    for budget in budgets:
        median = "-" if budget.measured is None else f"{budget.measured['median']:.2f}x"
        log(f"budget {budget.status:>12}: {budget.description} [{budget.where}] {budget.ratio} = {median}")
    met = all(budget.status == "pass" for budget in budgets)
    if arguments.check:
        log("check: every budget met" if met else "check: FAILED (a budget was missed or not measured)")
    return 1 if arguments.check and not met else 0
