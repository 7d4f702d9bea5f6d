"""The budgets, evaluated on one run's results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterator, List, Optional

OURS_OFF = ("ours-env", "ours-file", "ours-memory", "ours-redis", "ours-toml")
#: The maintenance-on budget is judged on this app size; other sizes (1000 routes) are reported.
REFERENCE_ROUTES = 50


@dataclass(frozen=True)
class Budget:
    description: str
    where: str
    ratio: str
    threshold: float
    #: The ratio's summary on the judged clock (median, quartiles), None when it was not measured.
    measured: Optional[Dict[str, float]] = None
    #: The same ratio's median on the other clocks (``{"wall": median}``), for comparison only.
    other_clocks: Dict[str, float] = field(default_factory=dict)

    @property
    def median(self) -> Optional[float]:
        return None if self.measured is None else self.measured["median"]

    @property
    def status(self) -> str:
        if self.median is None:
            return "not measured"
        return "pass" if self.median >= self.threshold else "MISSED"

    def as_dict(self) -> Dict[str, Any]:
        return {**asdict(self), "status": self.status}


def _budget(description: str, where: str, group: Dict[str, Any], key: str, threshold: float) -> Budget:
    """The budget for ratio ``key`` in a group's results (the judged clock's summaries at the top level)."""
    others = {
        clock: found["ratios"][key]["median"]
        for clock, found in group.get("clocks", {}).items()
        if clock != group.get("clock") and key in found["ratios"]
    }
    return Budget(description, where, key, threshold, group.get("ratios", {}).get(key), others)


def _budgets(results: Dict[str, Any]) -> Iterator[Budget]:
    paired: List[Dict[str, Any]] = results.get("paired", [])
    off = [group for group in paired if group["label"].startswith("off")]
    for group in off:
        for name in OURS_OFF:
            if name in group["variants"]:
                yield _budget("maintenance off >= 0.95x bare", group["label"], group, f"{name}/bare", 0.95)
    if not off:
        yield Budget("maintenance off >= 0.95x bare", "in-process", "ours-*/bare", 0.95)
    on = [g for g in paired if g["label"].startswith("on") and g["route_count"] == REFERENCE_ROUTES]
    where = f"on, same process, {REFERENCE_ROUTES} routes"
    yield _budget(
        "maintenance on >= 3x a bare 503 route", where, on[0] if on else {}, "ours-on/bare-503", 3.0
    )
    for ratio in ("ours-env/bare", "ours-file/bare"):
        http = results.get("http") or {}
        yield _budget("HTTP, maintenance off >= 0.95x bare", "HTTP (uvicorn + wrk)", http, ratio, 0.95)


def evaluate(results: Dict[str, Any]) -> List[Budget]:
    """Every budget with its measured median; a budget whose ratio was not measured is 'not measured'."""
    return list(_budgets(results))
