"""The bare app and the variants in one process, interleaved in blocks of 16 requests.

Separate processes scattered by 10 to 20 percent per round on a shared 2-core machine, as much as the
budgets' margins; sharing a process and alternating every few milliseconds, the per-round ratios
agree to about a percent. Each group runs in a fresh worker process of its own (``python -m
bench.harness.paired``), pinned to one core, with the environment its variants need.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .drive import Driver, Lifespan, interleave
from .processes import REPO_ROOT, child_env, pin, pinned_cpus
from .stats import Round, analyse
from .traffic import STATIC_EVERY, check_app
from .variants import BuildContext, variant

Log = Callable[[str], None]
BLOCK = STATIC_EVERY
CALIBRATION = 10 * BLOCK


def off_variants(redis: bool) -> List[str]:
    return [
        "bare",
        "floor",
        "ours-env",
        "ours-file",
        "ours-memory",
        *(["ours-redis"] if redis else []),
        "ours-toml",
    ]


ON_VARIANTS = ["bare", "bare-503", "ours-on"]
ON_COMPARISONS = [("ours-on", "bare-503"), ("bare-503", "bare"), ("ours-on", "bare")]


def group_env(names: Sequence[str]) -> Dict[str, str]:
    """The environment variables the variants need; variants needing different values cannot share a process."""
    environment: Dict[str, str] = {}
    for name in names:
        for key, value in variant(name).env.items():
            if environment.setdefault(key, value) != value:
                raise ValueError(
                    f"{', '.join(names)}: variants need different values of {key}; run them apart"
                )
    return environment


def _round(answer: Dict[str, Any], reference: str) -> Dict[str, Round]:
    measured: Dict[str, Round] = {}
    for clock in ("cpu", "wall"):
        throughput = {name: answer["count"] / times[clock] for name, times in answer["times"].items()}
        relative = {name: value / throughput[reference] for name, value in throughput.items()}
        measured[clock] = {"throughput": throughput, "relative": relative}
    return measured


async def measure(
    names: Sequence[str],
    route_count: int,
    workdir: Path,
    *,
    rounds: int,
    round_seconds: float,
    redis_url: Optional[str] = None,
    log: Log = lambda line: None,
) -> List[Dict[str, Round]]:
    """Build the variants here, check their answers, calibrate, then time ``rounds`` interleaved rounds."""
    context = BuildContext(route_count, workdir, redis_url)
    apps = {name: variant(name).build(context) for name in names}
    lifespans = [Lifespan(app) for app in apps.values()]
    for lifespan in lifespans:
        await lifespan.startup()
    try:
        problems = [
            f"{name}: {p}"
            for name, app in apps.items()
            for p in await check_app(app, route_count, variant(name).maintenance)
        ]
        if problems:
            raise RuntimeError(f"wrong responses: {problems}")
        drivers = {name: Driver(app, variant(name).maintenance, route_count) for name, app in apps.items()}
        await interleave(drivers, CALIBRATION, BLOCK)  # warm-up
        elapsed = sum(
            times["wall"] for times in (await interleave(drivers, CALIBRATION, BLOCK))["times"].values()
        )
        wanted = int(round_seconds * len(names) * CALIBRATION / elapsed)
        count = max(BLOCK, wanted - wanted % BLOCK)
        measured: List[Dict[str, Round]] = []
        for number in range(rounds):
            measured.append(_round(await interleave(drivers, count, BLOCK), "bare"))
            relative = measured[-1]["cpu"]["relative"]
            log(
                f"  round {number + 1}/{rounds} (cpu): "
                + ", ".join(f"{n} {relative[n]:.3f}" for n in names if n != "bare")
            )
        return measured
    finally:
        for lifespan in lifespans:
            await lifespan.shutdown()


def run_paired(
    label: str,
    names: List[str],
    comparisons: List[Tuple[str, str]],
    route_count: int,
    workdir: Path,
    *,
    rounds: int,
    round_seconds: float,
    log: Log,
    clock: str = "cpu",
    redis_url: Optional[str] = None,
) -> Dict[str, Any]:
    """One group in a fresh worker process pinned to the measured core; its rounds analysed."""
    log(f"in-process, same process: {label}: {', '.join(names)}")
    command = [sys.executable, "-m", "bench.harness.paired", ",".join(names), str(route_count), str(workdir)]
    command += [str(rounds), str(round_seconds), redis_url or ""]
    worker = subprocess.Popen(
        command, cwd=REPO_ROOT, env=child_env(group_env(names)), stdout=subprocess.PIPE, text=True
    )
    pin(worker.pid, pinned_cpus()[1])
    output, _ = worker.communicate(timeout=600 + rounds * round_seconds * len(names) * 4)
    if worker.returncode != 0:
        raise RuntimeError(f"{label}: the worker exited with {worker.returncode} (its error is above)")
    measured: List[Dict[str, Round]] = json.loads(output)
    return {
        "label": label,
        "route_count": route_count,
        "variants": names,
        "block": BLOCK,
        "rounds": measured,
        **analyse(measured, names, comparisons, clock),
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.harness.paired")
    for name in ("variants", "routes", "workdir", "rounds", "round_seconds", "redis_url"):
        parser.add_argument(name)
    arguments = parser.parse_args(argv)
    measured = asyncio.run(
        measure(
            arguments.variants.split(","),
            int(arguments.routes),
            Path(arguments.workdir),
            rounds=int(arguments.rounds),
            round_seconds=float(arguments.round_seconds),
            redis_url=arguments.redis_url or None,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    )
    print(json.dumps(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
