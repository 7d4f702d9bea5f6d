"""``python bench/run.py``: set up, run every harness, write the report, optionally check the budgets."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
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
from typing import Any, Dict, List, Optional, Tuple

from .budgets import all_met, evaluate
from .http_load import run_http
from .inprocess import off_group, on_group, run_group
from .memory import run_memory
from .paired import ON_COMPARISONS, ON_VARIANTS, off_variants, run_paired
from .pool import BENCH_DIR, REPO_ROOT, Places
from .profiling import print_profile, profile_variant
from .redis_server import private_redis
from .report import render
from .setup import ensure_fm005_venv, ensure_wrk

RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"
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
        description="Benchmark fastapi-maintenance against a bare app, a do-nothing middleware and 0.0.5.",
    )
    p.add_argument("--quick", action="store_true", help="a short run: 5 rounds, 10 and 50 routes, no HTTP")
    p.add_argument("--routes", type=_numbers, help="route counts, maintenance off (default 10,50,100,1000)")
    p.add_argument("--on-routes", type=_numbers, help="route counts, maintenance on (default 50,1000)")
    p.add_argument("--rounds", type=int, help="interleaved rounds per group (default 25; quick 5)")
    p.add_argument("--round-seconds", type=float, default=0.1, help="length of one variant's run in a round")
    p.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="clock the budgets are judged on: CPU time of the serving process (default) or elapsed time",
    )
    p.add_argument("--memory-requests", type=int, help="requests per memory worker (default 100000; 0: skip)")
    p.add_argument("--memory-routes", type=int, default=100)
    http = p.add_mutually_exclusive_group()
    http.add_argument("--http", dest="http", action="store_true", default=None, help="run the HTTP harness")
    http.add_argument("--no-http", dest="http", action="store_false", help="skip the HTTP harness")
    p.add_argument("--http-routes", type=int, default=100)
    p.add_argument("--http-rounds", type=int, default=9)
    p.add_argument("--http-seconds", type=int, default=3, help="wrk -d, per variant per round")
    p.add_argument("--http-connections", type=int, default=32)
    p.add_argument("--no-fm005", action="store_true", help="skip fastapi-maintenance 0.0.5 (no venv needed)")
    p.add_argument("--no-redis", action="store_true", help="skip the Redis backend variant")
    p.add_argument(
        "--output", type=Path, help="Markdown report (default docs/benchmarks.md; quick: bench/results)"
    )
    p.add_argument("--check", action="store_true", help="exit 1 when a budget is missed or not measured")
    p.add_argument("--recheck", type=Path, metavar="JSON", help="evaluate (and render) a saved results file")
    p.add_argument("--setup", action="store_true", help="only create the 0.0.5 venv and install wrk")
    p.add_argument(
        "--profile", metavar="VARIANT", help="profile one variant with cProfile instead of benchmarking"
    )
    p.add_argument("--profile-routes", type=int, default=100)
    p.add_argument("--profile-requests", type=int, default=20000)
    return p


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _wrk_version(wrk: Optional[str]) -> str:
    if wrk is None:
        return "not used"
    output = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout
    return output.split("\n", 1)[0].replace("Copyright (C) 2012 Will Glozer", "").strip() or "unknown"


def _our_version() -> str:
    text = (REPO_ROOT / "fastapi_maintenance" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    commit = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return f"{found.group(1) if found else '?'} (commit {commit or '?'}, working tree)"


def metadata_block(arguments: List[str], wrk: Optional[str], fm005: str, rounds: str) -> Dict[str, Any]:
    framework = " / ".join(metadata.version(name) for name in ("fastapi", "starlette", "pydantic", "anyio"))
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python bench/run.py", *arguments]),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "framework": framework,
        "uvicorn": metadata.version("uvicorn"),
        "wrk": _wrk_version(wrk),
        "ours": _our_version(),
        "fm005": fm005,
        "rounds": rounds,
    }


def _redis_available() -> Optional[str]:
    """Why the Redis variant cannot run, or None when it can."""
    backends = REPO_ROOT / "fastapi_maintenance" / "backends"
    if not (backends / "redis.py").exists() and not (backends / "redis").is_dir():
        return "fastapi_maintenance.backends.redis does not exist in this checkout"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis client library is not installed"
    return None


def snapshot_package(workdir: Path) -> Tuple[Path, str]:
    """Copy fastapi_maintenance/ as it is now, so every worker of this run uses the same code.

    The working tree may change while a run lasts (others work in it); a copy that does not import
    (caught mid-edit) is taken again, a few seconds later. Returns the folder to put on PYTHONPATH
    and a digest of the copied sources.
    """
    for attempt in range(10):
        target = workdir / f"snapshot-{attempt}"
        shutil.copytree(
            REPO_ROOT / "fastapi_maintenance",
            target / "fastapi_maintenance",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        probe = subprocess.run(
            [sys.executable, "-c", "import fastapi_maintenance, fastapi_maintenance.backends"],
            cwd=target,
            env={**os.environ, "PYTHONPATH": str(target)},
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0:
            digest = hashlib.sha256()
            for path in sorted((target / "fastapi_maintenance").rglob("*.py")):
                digest.update(str(path.relative_to(target)).encode() + b"\0" + path.read_bytes())
            return target, digest.hexdigest()[:12]
        log(f"snapshot of fastapi_maintenance does not import yet, retrying: {probe.stderr.strip()[-300:]}")
        time.sleep(6)
    raise RuntimeError("fastapi_maintenance did not import from any snapshot taken over a minute")


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


def profile_only(
    arguments: argparse.Namespace, fm005_python: Optional[Path], fm005_root: Optional[Path]
) -> int:
    with ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if _redis_available() is None else None
        workdir = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="fastapi-maintenance-profile-"))
        )
        snapshot, _ = snapshot_package(workdir)
        places = Places(workdir, fm005_python, fm005_root, redis_url, repo=snapshot)
        profile = profile_variant(
            arguments.profile, arguments.profile_routes, arguments.profile_requests, places, log
        )
    print_profile(arguments.profile, profile, log)
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
    memory_requests = (
        arguments.memory_requests if arguments.memory_requests is not None else (20000 if quick else 100000)
    )
    with_http = arguments.http if arguments.http is not None else not quick
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    output = arguments.output or (RESULTS_DIR / f"{stamp}-quick.md" if quick else DEFAULT_OUTPUT)
    skipped: Dict[str, str] = {}

    fm005_python: Optional[Path] = None
    fm005_root: Optional[Path] = None
    if arguments.no_fm005:
        skipped["fastapi-maintenance 0.0.5"] = "skipped with --no-fm005"
    else:
        fm005_python, fm005_root = ensure_fm005_venv(log)
    wrk = ensure_wrk(log) if with_http or arguments.setup else None
    if arguments.setup:
        log(f"setup done: {fm005_python or 'no 0.0.5 venv'}, wrk {wrk}")
        return 0
    if arguments.profile:
        return profile_only(arguments, fm005_python, fm005_root)
    if not with_http:
        skipped["HTTP harness"] = "skipped (--no-http, or --quick without --http)"

    with ExitStack() as stack:
        redis_url: Optional[str] = None
        why_not_redis = "skipped with --no-redis" if arguments.no_redis else _redis_available()
        if why_not_redis is None:
            redis_url = stack.enter_context(private_redis())
            if redis_url is None:
                why_not_redis = "no redis-server could be started on 127.0.0.1"
        if why_not_redis is not None:
            skipped["Redis backend variant"] = why_not_redis
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fastapi-maintenance-bench-")))
        snapshot, digest = snapshot_package(workdir)
        log(f"fastapi_maintenance snapshot {digest} in {snapshot}")
        places = Places(workdir, fm005_python, fm005_root, redis_url, repo=snapshot)
        with_fm005 = fm005_python is not None
        groups = [off_group(count, fm005=with_fm005, redis=redis_url is not None) for count in route_counts]
        groups += [on_group(count, fm005=with_fm005) for count in on_counts]
        results: Dict[str, Any] = {"inprocess": [], "paired": [], "skipped": skipped}
        paired_args: Dict[str, Any] = {
            "rounds": rounds,
            "round_seconds": arguments.round_seconds,
            "log": log,
            "clock": arguments.clock,
        }
        for count in route_counts:
            names = off_variants(redis_url is not None)
            comparisons = [(name, "bare") for name in names if name != "bare"]
            label = f"off, same process, {count} routes"
            results["paired"].append(run_paired(label, names, comparisons, count, places, **paired_args))
        for count in on_counts:
            label = f"on, same process, {count} routes"
            results["paired"].append(
                run_paired(label, ON_VARIANTS, ON_COMPARISONS, count, places, **paired_args)
            )
        for group in groups:
            results["inprocess"].append(
                run_group(group, places, rounds, arguments.round_seconds, log, clock=arguments.clock)
            )
        fm005_info = "not used"
        for group in results["inprocess"]:
            info = group["info"].get("fm005-env") or group["info"].get("fm005-on")
            if info:
                fm005_info = (
                    f"fastapi-maintenance {info['fastapi_maintenance']}, FastAPI {info['fastapi']}, "
                    f"Starlette {info['starlette']}, pydantic {info['pydantic']}"
                )
        if memory_requests > 0:
            names = ["bare", "ours-env", "ours-file", "ours-memory", "ours-on"]
            names += ["fm005-env", "fm005-on"] if with_fm005 else []
            results["memory"] = run_memory(names, arguments.memory_routes, memory_requests, places, log)
        else:
            skipped["Memory"] = "skipped with --memory-requests 0"
        if with_http:
            assert wrk is not None
            http_names = ["bare", "floor", "ours-env", "ours-file", "bare-503", "ours-on"]
            http_comparisons = [
                ("floor", "bare"),
                ("ours-env", "bare"),
                ("ours-file", "bare"),
                ("ours-on", "bare-503"),
                ("ours-on", "bare"),
            ]
            if with_fm005:
                http_names += ["fm005-env", "fm005-file"]
                http_comparisons += [
                    ("fm005-env", "bare"),
                    ("fm005-file", "bare"),
                    ("ours-env", "fm005-env"),
                    ("ours-file", "fm005-file"),
                ]
            results["http"] = run_http(
                http_names,
                http_comparisons,
                arguments.http_routes,
                places,
                wrk=wrk,
                rounds=arguments.http_rounds,
                seconds=arguments.http_seconds,
                connections=arguments.http_connections,
                log=log,
                clock=arguments.clock,
            )
    rounds_text = f"{rounds} in-process rounds of about {arguments.round_seconds} s per variant"
    results["meta"] = {**metadata_block(raw, wrk, fm005_info, rounds_text), "clock": arguments.clock}
    results["meta"]["ours"] += f", sources sha256 {digest}"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    raw_path = RESULTS_DIR / f"{stamp}.json"
    status = finish(results, output, arguments.check)
    raw_path.write_text(json.dumps(results, indent=1), encoding="utf-8")
    log(f"raw results: {raw_path}")
    return status
