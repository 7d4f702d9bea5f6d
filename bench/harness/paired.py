"""Same-process pairing: several variants in one worker, interleaved in blocks of 16 requests.

The separate-process rounds (``inprocess.py``) follow the issue's design, but on this shared
machine their per-round ratios scatter by 10 to 20 percent, as much as the budgets' margins. Here
the bare app and the variants share one process and alternate every few milliseconds, so whatever
slows the machine hits them alike. Only variants that can share a process take part (not 0.0.5,
whose package has our import name).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from .pool import Places, Worker
from .stats import Round, analyse
from .traffic import STATIC_EVERY

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


def _round(answer: Dict[str, Any], reference: str) -> Dict[str, Round]:
    count = answer["count"]
    measured: Dict[str, Round] = {}
    for clock in ("cpu", "wall"):
        throughput = {name: count / times[clock] for name, times in answer["times"].items()}
        relative = {name: value / throughput[reference] for name, value in throughput.items()}
        measured[clock] = {"throughput": throughput, "relative": relative}
    return measured


def run_paired(
    label: str,
    names: List[str],
    comparisons: List[Tuple[str, str]],
    route_count: int,
    places: Places,
    *,
    rounds: int,
    round_seconds: float,
    log: Log,
    clock: str = "cpu",
    reference: str = "bare",
) -> Dict[str, Any]:
    log(f"in-process, same process: {label}: {', '.join(names)}")
    worker = Worker(",".join(names), route_count, places, pinned=True)
    try:
        info = worker.wait_ready()
        problems = worker.check()
        if problems:
            raise RuntimeError(f"{label}: wrong responses: {problems}")
        worker.interleave(CALIBRATION, BLOCK)
        elapsed = sum(times["wall"] for times in worker.interleave(CALIBRATION, BLOCK)["times"].values())
        wanted = int(round_seconds * len(names) * CALIBRATION / elapsed)
        count = max(BLOCK, wanted - wanted % BLOCK)
        measured_rounds: List[Dict[str, Round]] = []
        for number in range(rounds):
            measured_rounds.append(_round(worker.interleave(count, BLOCK), reference))
            relative = measured_rounds[-1][clock]["relative"]
            log(
                f"  round {number + 1}/{rounds} ({clock}): "
                + ", ".join(f"{name} {relative[name]:.3f}" for name in names if name != reference)
            )
    finally:
        worker.close()
    return {
        "label": label,
        "route_count": route_count,
        "variants": names,
        "requests_per_round": count,
        "block": BLOCK,
        "rounds": measured_rounds,
        "info": {",".join(names): info},
        **analyse(measured_rounds, names, comparisons, clock),
    }
