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

from .budgets import evaluate
from .http_load import run_http
from .paired import run_paired
from .processes import REPO_ROOT, private_redis
from .report import render
from .variants import BuildContext

RESULTS_DIR = REPO_ROOT / "bench" / "results"
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"
#: The groups measured in one process; every maintenance-off variant is compared with the bare app.
OFF_VARIANTS = ["bare", "floor", "ours-env", "ours-file", "ours-memory", "ours-redis", "ours-toml"]
ON_VARIANTS = ["bare", "bare-503", "ours-on"]
ON_COMPARISONS = [("ours-on", "bare-503"), ("bare-503", "bare"), ("ours-on", "bare")]
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
    p.add_argument(
        "--http", action=argparse.BooleanOptionalAction, help="run the HTTP harness (default: not quick)"
    )
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


def _output(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()


def metadata_block(arguments: List[str], wrk: Optional[str], rounds: str, clock: str) -> Dict[str, Any]:
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        cpus = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    commit = _output("git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD")
    dirty = _output("git", "-C", str(REPO_ROOT), "status", "--porcelain", "fastapi_maintenance")
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python bench/run.py", *arguments]),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": cpus[0] if cpus else platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "framework": " / ".join(
            metadata.version(name) for name in ("fastapi", "starlette", "pydantic", "anyio")
        ),
        "uvicorn": metadata.version("uvicorn"),
        "wrk": "not used" if wrk is None else _output(wrk, "--version").split(" Copyright", 1)[0],
        "ours": f"{__version__} (commit {commit or '?'}{', with local changes' if dirty else ''})",
        "rounds": rounds,
        "clock": clock,
    }


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
    if not check:
        return 0
    met = all(budget.status == "pass" for budget in budgets)
    log("check: every budget met" if met else "check: FAILED (a budget was missed or not measured)")
    return 0 if met else 1


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
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    output = arguments.output or (RESULTS_DIR / f"{stamp}-quick.md" if quick else DEFAULT_OUTPUT)
    skipped: Dict[str, str] = {}
    wrk = None
    if not (arguments.http if arguments.http is not None else not quick):
        skipped["HTTP harness"] = "skipped (--no-http, or --quick without --http)"
    elif (wrk := shutil.which("wrk")) is None:
        skipped["HTTP harness"] = "wrk is not installed (apt-get install wrk)"

    results: Dict[str, Any] = {"paired": [], "skipped": skipped}
    with ExitStack() as stack:
        redis_url: Optional[str] = None
        if arguments.no_redis:
            skipped["Redis backend variant"] = "skipped with --no-redis"
        elif importlib.util.find_spec("redis") is None:
            skipped["Redis backend variant"] = "the redis client library is not installed"
        elif (redis_url := stack.enter_context(private_redis())) is None:
            skipped["Redis backend variant"] = (
                "no redis-server could be started on 127.0.0.1 (is it installed?)"
            )
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fastapi-maintenance-bench-")))
        off_names = [name for name in OFF_VARIANTS if redis_url is not None or name != "ours-redis"]
        off_comparisons = [(name, "bare") for name in off_names if name != "bare"]
        groups = [("off", count, off_names, off_comparisons) for count in route_counts]
        groups += [("on", count, ON_VARIANTS, ON_COMPARISONS) for count in on_counts]
        for state, count, names, comparisons in groups:
            measured = run_paired(
                f"{state}, same process, {count} routes",
                names,
                comparisons,
                BuildContext(count, workdir, redis_url),
                rounds=rounds,
                round_seconds=arguments.round_seconds,
                log=log,
                clock=arguments.clock,
            )
            results["paired"].append(measured)
        if wrk is not None:
            results["http"] = run_http(
                HTTP_VARIANTS,
                HTTP_COMPARISONS,
                BuildContext(arguments.http_routes, workdir, redis_url),
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
