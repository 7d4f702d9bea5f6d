"""Rounds and their statistics, built for a machine whose speed drifts by tens of percent within seconds.

In a round every variant is compared with the reference (the bare app) measured
alongside it, so slow drift cancels. Reports use the median of these per-round
ratios and their interquartile range. Each run is timed on two clocks: ``wall`` (elapsed
time) and ``cpu`` (CPU time of the process doing the work, which other
processes competing for the cores do not inflate).
"""

from __future__ import annotations

import statistics
from typing import Any, Dict, List, Sequence, Tuple

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
