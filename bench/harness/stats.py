"""Rounds and their statistics, built for a machine whose speed drifts by tens of percent within seconds.

In a round every variant runs once, in rotating order, and each run is
bracketed by two runs of the reference (the bare app): a variant is compared
with the geometric mean of the reference runs just before and just after it,
so slow drift cancels. Reports use the median of these per-round ratios and
their interquartile range. Each run is timed on two clocks: ``wall`` (elapsed
time) and ``cpu`` (CPU time of the process doing the work, which other
processes competing for the cores do not inflate).
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

Round = Dict[str, Dict[str, float]]


def summary(values: Sequence[float]) -> Dict[str, float]:
    """Median, quartiles (IQR) and extremes of a series."""
    if not values:
        raise ValueError("no values to summarise")
    ordered = sorted(values)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "median": statistics.median(ordered),
        "q1": q1,
        "q3": q3,
        "min": ordered[0],
        "max": ordered[-1],
        "n": float(len(ordered)),
    }


def rotated(names: Sequence[str], round_number: int) -> List[str]:
    """The order for one round: rotated each round, reversed every other cycle, so no variant keeps a slot."""
    if not names:
        return []
    shift = round_number % len(names)
    order = list(names[shift:]) + list(names[:shift])
    if (round_number // len(names)) % 2:
        order.reverse()
    return order


def bracketed(reference: str, others: Sequence[str], round_number: int) -> List[str]:
    """reference, a, reference, b, reference, ...: every other variant between two reference runs."""
    sequence = [reference]
    for name in rotated(others, round_number):
        sequence += [name, reference]
    return sequence


def _one_clock(measured: Sequence[Tuple[str, float]], reference: str) -> Round:
    throughput: Dict[str, float] = {}
    relative: Dict[str, float] = {}
    reference_runs: List[float] = []
    waiting: Optional[Tuple[str, float]] = None
    for name, value in measured:
        if name != reference:
            throughput[name] = value
            waiting = (name, value)
            continue
        if waiting is not None:
            relative[waiting[0]] = waiting[1] / math.sqrt(reference_runs[-1] * value)
            waiting = None
        reference_runs.append(value)
    throughput[reference] = statistics.fmean(reference_runs)
    relative[reference] = 1.0
    return {"throughput": throughput, "relative": relative}


def run_round(
    sequence: Sequence[str], reference: str, measure: Callable[[str], Dict[str, float]]
) -> Dict[str, Round]:
    """Measure a bracketed sequence; per clock, each variant's throughput and its ratio to its neighbours.

    ``measure`` returns one throughput per clock (``{"cpu": ..., "wall": ...}``).
    """
    measured = [(name, measure(name)) for name in sequence]
    clocks = list(measured[0][1])
    return {
        clock: _one_clock([(name, values[clock]) for name, values in measured], reference) for clock in clocks
    }


def paired_ratios(rounds: Sequence[Round], numerator: str, denominator: str) -> List[float]:
    """numerator / denominator within each round, both relative to their neighbouring reference runs."""
    return [
        measured["relative"][numerator] / measured["relative"][denominator]
        for measured in rounds
        if numerator in measured["relative"] and denominator in measured["relative"]
    ]


def analyse_clock(
    rounds: Sequence[Round], names: Sequence[str], comparisons: Sequence[Tuple[str, str]]
) -> Dict[str, Any]:
    return {
        "throughput": {name: summary([m["throughput"][name] for m in rounds]) for name in names},
        "ratios": {f"{a}/{b}": summary(paired_ratios(rounds, a, b)) for a, b in comparisons},
    }


def analyse(
    rounds: Sequence[Dict[str, Round]],
    names: Sequence[str],
    comparisons: Sequence[Tuple[str, str]],
    primary: str,
) -> Dict[str, Any]:
    """Throughput and ratio summaries for every clock; the primary clock's are also at the top level."""
    clocks = {
        clock: analyse_clock([measured[clock] for measured in rounds], names, comparisons)
        for clock in rounds[0]
    }
    return {"clock": primary, "clocks": clocks, **clocks[primary]}
