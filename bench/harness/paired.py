"""The bare app and the variants in one process, interleaved in blocks of 16 requests.

Separate processes scattered by 10 to 20 percent per round on a shared 2-core machine, as much as the
budgets' margins; sharing a process and alternating every few milliseconds, the per-round ratios
agree to about a percent. Each group runs in a fresh worker process of its own (``python -m
bench.harness.paired``), pinned to one core, with the environment its variants need.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

from .drive import Driver, check_app, interleave, lifespan
from .processes import start_measured
from .stats import Round, analyse
from .traffic import STATIC_EVERY
from .variants import BuildContext, variant

Log = Callable[[str], None]
#: One block holds one request to a static route, so every block costs a router the same.
BLOCK = STATIC_EVERY
CALIBRATION = 10 * BLOCK


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


def _round(answer: Dict[str, Any]) -> Dict[str, Round]:
    """Each variant's throughput, and relative to the bare app's in the same round, on both clocks."""
    measured: Dict[str, Round] = {}
    for clock in ("cpu", "wall"):
        throughput = {name: answer["count"] / times[clock] for name, times in answer["times"].items()}
        relative = {name: value / throughput["bare"] for name, value in throughput.items()}
        measured[clock] = {"throughput": throughput, "relative": relative}
    return measured


async def measure(
    names: Sequence[str], context: BuildContext, *, rounds: int, round_seconds: float, log: Log
) -> List[Dict[str, Round]]:
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
        await interleave(drivers, CALIBRATION, BLOCK)  # warm-up
        calibration = await interleave(drivers, CALIBRATION, BLOCK)
        elapsed = sum(times["wall"] for times in calibration["times"].values())
        wanted = int(round_seconds * len(names) * CALIBRATION / elapsed)
        per_round = max(BLOCK, wanted - wanted % BLOCK)
        measured: List[Dict[str, Round]] = []
        for number in range(rounds):
            measured.append(_round(await interleave(drivers, per_round, BLOCK)))
            relative = measured[-1]["cpu"]["relative"]
            shown = ", ".join(f"{name} {relative[name]:.3f}" for name in names if name != "bare")
            log(f"  round {number + 1}/{rounds} (cpu): {shown}")
        return measured


def run_paired(
    label: str,
    names: List[str],
    comparisons: List[Tuple[str, str]],
    context: BuildContext,
    *,
    rounds: int,
    round_seconds: float,
    log: Log,
    clock: str = "cpu",
) -> Dict[str, Any]:
    """One group in a fresh worker process pinned to the measured core; its rounds analysed."""
    log(f"in-process, same process: {label}: {', '.join(names)}")
    arguments = [
        ",".join(names),
        context.route_count,
        context.workdir,
        rounds,
        round_seconds,
        context.redis_url or "",
    ]
    worker = start_measured("paired", arguments, group_env(names), stdout=subprocess.PIPE, text=True)
    output, _ = worker.communicate(timeout=600 + rounds * round_seconds * len(names) * 4)
    if worker.returncode != 0:
        raise RuntimeError(f"{label}: the worker exited with {worker.returncode} (its error is above)")
    measured: List[Dict[str, Round]] = json.loads(output)
    return {
        "label": label,
        "route_count": context.route_count,
        "variants": names,
        "block": BLOCK,
        "rounds": measured,
        **analyse(measured, names, comparisons, clock),
    }


def main() -> int:
    """The worker: measure the group given on the command line, print the rounds as JSON."""
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
