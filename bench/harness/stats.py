"""Rounds and their statistics, built for a machine whose speed drifts by tens of percent within seconds.

In a round every variant is compared with the reference (the bare app) measured
alongside it, so slow drift cancels. Reports use the median of these per-round
ratios and their interquartile range. Each run is timed on two clocks: ``wall`` (elapsed
time) and ``cpu`` (CPU time of the process doing the work, which other
processes competing for the cores do not inflate).
"""

from __future__ import annotations

import statistics
from typing import Any, Dict, Sequence, Tuple

Round = Dict[str, Dict[str, float]]


def summary(values: Sequence[float]) -> Dict[str, float]:
    """Median and quartiles (the interquartile range) of a series."""
    if len(values) < 2:
        return dict.fromkeys(("median", "q1", "q3"), values[0])
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": statistics.median(values), "q1": q1, "q3": q3}


def analyse(
    rounds: Sequence[Dict[str, Round]],
    names: Sequence[str],
    comparisons: Sequence[Tuple[str, str]],
    primary: str,
) -> Dict[str, Any]:
    """Throughput and ratio summaries for every clock; the primary clock's are also at the top level.

    A ratio a/b is taken within each round, from a and b each relative to the reference run beside them.
    """
    clocks: Dict[str, Any] = {}
    for clock in rounds[0]:
        measured = [each[clock] for each in rounds]
        clocks[clock] = {
            "throughput": {name: summary([m["throughput"][name] for m in measured]) for name in names},
            "ratios": {
                f"{a}/{b}": summary([m["relative"][a] / m["relative"][b] for m in measured])
                for a, b in comparisons
            },
        }
    return {"clock": primary, "clocks": clocks, **clocks[primary]}
