"""One run's figures: the per-round ratios summarised, the budgets judged, the report written.

In a round every variant is compared with the bare app measured alongside it, so the machine's
slow drift cancels; a ratio is the median of these per-round ratios, with their interquartile range.
The method itself is described once, in the hand-written top of docs/benchmarks.md.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from .variants import BY_NAME

#: One round: each variant's requests per CPU second, and the same relative to the bare app beside it.
Round = Dict[str, Dict[str, float]]
#: The line in a report file above which the text is hand-written and kept.
MARKER = "<!-- Everything below this line is written by bench/run.py. -->"
#: The maintenance-on budget is judged at this app size; other sizes are reported.
REFERENCE_ROUTES = 50


def summary(values: Sequence[float]) -> Dict[str, float]:
    """Median and quartiles of a series."""
    if len(values) < 2:
        return dict.fromkeys(("median", "q1", "q3"), values[0])
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": statistics.median(values), "q1": q1, "q3": q3}


def analyse(
    rounds: Sequence[Round], names: Sequence[str], comparisons: Sequence[Tuple[str, str]]
) -> Dict[str, Any]:
    """Throughput summaries, and the ratio a/b of each comparison taken within each round."""
    return {
        "throughput": {name: summary([each["throughput"][name] for each in rounds]) for name in names},
        "ratios": {
            f"{a}/{b}": summary([each["relative"][a] / each["relative"][b] for each in rounds])
            for a, b in comparisons
        },
    }


@dataclass(frozen=True)
class Budget:
    description: str
    where: str
    ratio: str
    threshold: float
    #: The ratio's median and quartiles, None when it was not measured.
    measured: Optional[Dict[str, float]] = None

    @property
    def status(self) -> str:
        if self.measured is None:
            return "not measured"
        return "pass" if self.measured["median"] >= self.threshold else "MISSED"

    def as_dict(self) -> Dict[str, Any]:
        return {**asdict(self), "status": self.status}


def _budgets(results: Dict[str, Any]) -> Iterator[Budget]:
    groups: List[Dict[str, Any]] = results.get("in_process", [])
    off = [group for group in groups if group["label"].startswith("off")]
    for group in off:
        for key in (f"{name}/bare" for name in group["variants"] if name.startswith("ours-")):
            yield Budget("maintenance off >= 0.95x bare", group["label"], key, 0.95, group["ratios"].get(key))
    if not off:
        yield Budget("maintenance off >= 0.95x bare", "in-process", "ours-*/bare", 0.95)
    on = [g for g in groups if g["label"].startswith("on") and g["route_count"] == REFERENCE_ROUTES]
    measured = on[0]["ratios"].get("ours-on/bare-503") if on else None
    yield Budget(
        "maintenance on >= 3x a bare 503 route",
        f"on, {REFERENCE_ROUTES} routes",
        "ours-on/bare-503",
        3.0,
        measured,
    )
    http = results.get("http") or {"ratios": {}}
    for key in ("ours-env/bare", "ours-file/bare"):
        yield Budget("HTTP, maintenance off >= 0.95x bare", "HTTP", key, 0.95, http["ratios"].get(key))


def evaluate(results: Dict[str, Any]) -> List[Budget]:
    """Every budget with its measured ratio; one whose ratio was not measured is 'not measured'."""
    return list(_budgets(results))


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    return [_row(header), "|---" * len(header) + "|", *map(_row, rows)]


def _ratio(measured: Optional[Dict[str, float]]) -> str:
    return (
        "-"
        if measured is None
        else f"**{measured['median']:.2f}x** ({measured['q1']:.2f}-{measured['q3']:.2f})"
    )


def _groups_table(groups: List[Dict[str, Any]]) -> List[str]:
    """A row per ratio, then a row per variant's requests/s; a column per app size."""
    ratios = list(dict.fromkeys(key for group in groups for key in group["ratios"]))
    names = list(dict.fromkeys(name for group in groups for name in group["variants"]))
    rows = [[f"`{key}`", *(_ratio(group["ratios"].get(key)) for group in groups)] for key in ratios]
    for name in names:
        cells = [
            f"{g['throughput'][name]['median']:,.0f}" if name in g["throughput"] else "-" for g in groups
        ]
        rows.append([f"{name} requests/s", *cells])
    return _table(["Ratio (median, IQR)", *(f"{group['route_count']} routes" for group in groups)], rows)


def render(results: Dict[str, Any], budgets: List[Budget]) -> str:
    """The generated part of the report."""
    meta: Dict[str, str] = results["meta"]
    lines = ["## This run", "", *_table(["", ""], list(meta.items())), "", "## Budgets", ""]
    rows = [[b.description, b.where, f"`{b.ratio}`", _ratio(b.measured), b.status] for b in budgets]
    lines += [*_table(["Budget", "Where", "Ratio", "Median (IQR)", "Result"], rows), "", "## Variants", ""]
    groups: List[Dict[str, Any]] = results.get("in_process", [])
    http = results.get("http")
    names = dict.fromkeys(
        name for group in [*groups, *([http] if http else [])] for name in group["variants"]
    )
    lines += [f"- `{name}`: {BY_NAME[name].description}" for name in names]
    for state, title in (("off", "In-process, maintenance off"), ("on", "In-process, maintenance on")):
        chosen = [group for group in groups if group["label"].startswith(state)]
        if chosen:
            lines += ["", f"## {title}", "", *_groups_table(chosen)]
    if http:
        lines += ["", f"## HTTP ({http['setup']})", "", *_groups_table([http])]
    skipped: Dict[str, str] = results.get("skipped", {})
    if skipped:
        lines += [
            "",
            "## Not measured in this run",
            "",
            *(f"- {what}: {why}" for what, why in skipped.items()),
        ]
    return "\n".join(lines) + "\n"


def write_report(path: Path, generated: str) -> None:
    """Replace what follows ``MARKER`` in ``path``, keeping the hand-written text above it."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    head = existing.split(MARKER, 1)[0] if MARKER in existing else "# Benchmark run\n\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}{MARKER}\n\n{generated}", encoding="utf-8")
