"""Medians and spreads of paired ratios: robust to a machine whose speed drifts within seconds."""

from __future__ import annotations

import statistics
from typing import Dict, List, Sequence


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


def paired_ratios(rounds: Sequence[Dict[str, float]], numerator: str, denominator: str) -> List[float]:
    """numerator / denominator within each round, for the rounds that measured both."""
    return [
        measured[numerator] / measured[denominator]
        for measured in rounds
        if numerator in measured and denominator in measured
    ]


def rotated(names: Sequence[str], round_number: int) -> List[str]:
    """The order for one round: rotated each round, reversed every other one, so no variant keeps a slot."""
    shift = round_number % len(names)
    order = list(names[shift:]) + list(names[:shift])
    if (round_number // len(names)) % 2:
        order.reverse()
    return order
