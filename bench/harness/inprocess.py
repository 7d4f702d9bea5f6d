"""The in-process harness: variants in their own workers, short interleaved rounds, paired ratios."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Tuple

from .pool import Places, Worker, start_workers, stop_workers
from .stats import Round, analyse, bracketed, run_round
from .traffic import STATIC_EVERY

#: Requests per calibration run; also the warm-up.
CALIBRATION_REQUESTS = 320

Log = Callable[[str], None]


class IncorrectResponses(RuntimeError):
    """A variant answered wrongly: its timings would mean nothing."""


@dataclass(frozen=True)
class Group:
    """Variants timed against each other, in the same rounds, on one app size."""

    label: str
    route_count: int
    variants: List[str]
    comparisons: List[Tuple[str, str]] = field(default_factory=list)


def off_group(route_count: int, *, fm005: bool, redis: bool) -> Group:
    ours = ["ours-env", "ours-file", "ours-memory", *(["ours-redis"] if redis else []), "ours-toml"]
    theirs = ["fm005-env", "fm005-file"] if fm005 else []
    names = ["bare", "floor", *ours, *theirs]
    comparisons = [(name, "bare") for name in names if name != "bare"]
    if fm005:
        comparisons += [("ours-env", "fm005-env"), ("ours-file", "fm005-file")]
    return Group(f"off, {route_count} routes", route_count, names, comparisons)


def on_group(route_count: int, *, fm005: bool) -> Group:
    names = ["bare", "bare-503", "ours-on", *(["fm005-on"] if fm005 else [])]
    comparisons = [("ours-on", "bare-503"), ("bare-503", "bare"), ("ours-on", "bare")]
    if fm005:
        comparisons += [("ours-on", "fm005-on"), ("fm005-on", "bare-503")]
    return Group(f"on, {route_count} routes", route_count, names, comparisons)


def check_all(workers: Dict[str, Worker]) -> Dict[str, List[str]]:
    """Every worker's response problems (empty lists when all is correct)."""
    return {name: worker.check() for name, worker in workers.items()}


def calibrate(workers: Dict[str, Worker], round_seconds: float) -> Dict[str, int]:
    """Requests per round for each variant, so that each of its runs lasts about ``round_seconds``."""
    counts: Dict[str, int] = {}
    for name, worker in workers.items():
        worker.run(CALIBRATION_REQUESTS)
        elapsed = worker.run(CALIBRATION_REQUESTS)["wall"]
        wanted = max(STATIC_EVERY, int(round_seconds * CALIBRATION_REQUESTS / elapsed))
        # Whole blocks of the traffic, so that every run gets the same mix of routes.
        counts[name] = wanted - wanted % STATIC_EVERY
    return counts


def time_rounds(
    workers: Dict[str, Worker],
    counts: Dict[str, int],
    rounds: int,
    log: Log,
    reference: str = "bare",
    clock: str = "cpu",
) -> List[Dict[str, Round]]:
    """Throughput (requests per second) per clock, round by round, each run between two reference runs."""
    names = list(workers)
    others = [name for name in names if name != reference]

    def measure(name: str) -> Dict[str, float]:
        seconds = workers[name].run(counts[name])
        return {which: counts[name] / value for which, value in seconds.items()}

    measured_rounds: List[Dict[str, Round]] = []
    for number in range(rounds):
        measured_rounds.append(run_round(bracketed(reference, others, number), reference, measure))
        measured = measured_rounds[-1][clock]
        relative = measured["relative"]
        bare = measured["throughput"][reference]
        ratios = ", ".join(f"{n} {relative[n]:.2f}" for n in others)
        log(f"  round {number + 1}/{rounds} ({clock}): {reference} {bare:.0f}/s; vs {reference}: {ratios}")
    return measured_rounds


def run_group(
    group: Group, places: Places, rounds: int, round_seconds: float, log: Log, clock: str = "cpu"
) -> Dict[str, Any]:
    log(f"in-process: {group.label}: {', '.join(group.variants)}")
    # One variant runs at a time: all on the same core, the one load generators do not use.
    workers = start_workers(group.variants, group.route_count, places, pinned=True)
    try:
        problems = check_all(workers)
        wrong = {name: found for name, found in problems.items() if found}
        if wrong:
            raise IncorrectResponses(f"{group.label}: wrong responses: {wrong}")
        counts = calibrate(workers, round_seconds)
        measured_rounds = time_rounds(workers, counts, rounds, log, clock=clock)
        info = {name: worker.info for name, worker in workers.items()}
    finally:
        stop_workers(workers)
    return {
        "label": group.label,
        "route_count": group.route_count,
        "variants": group.variants,
        "requests_per_round": counts,
        "rounds": measured_rounds,
        "info": info,
        **analyse(measured_rounds, group.variants, group.comparisons, clock),
    }
