"""docs/benchmarks.md from one run's results."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .budgets import Budget
from .variants import BY_NAME


def ratio_cell(measured: Optional[Dict[str, float]]) -> str:
    if measured is None:
        return "-"
    return f"**{measured['median']:.2f}x** ({measured['q1']:.2f}-{measured['q3']:.2f})"


def _describe(name: str) -> str:
    spec = BY_NAME.get(name)
    return f"`{name}`: {spec.description}" if spec is not None else f"`{name}`"


def _machine(meta: Dict[str, Any]) -> List[str]:
    rows = [
        ("Date (UTC)", meta["date"]),
        ("Command", f"`{meta['command']}`"),
        ("Machine", meta["machine"]),
        ("CPU", f"{meta['cpu']} ({meta['cores']} cores)"),
        ("Python", meta["python"]),
        ("FastAPI / Starlette / pydantic / anyio", meta["framework"]),
        ("uvicorn / wrk", f"{meta['uvicorn']} / {meta['wrk']}"),
        ("fastapi-maintenance (this repo)", meta["ours"]),
        ("fastapi-maintenance 0.0.5 venv", meta["fm005"]),
        ("Rounds", meta["rounds"]),
    ]
    return ["| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in rows)]


def _budget_rows(budgets: List[Budget], primary: str) -> List[str]:
    lines = [
        f"| Budget | Where | Ratio | Median (IQR), {primary} clock | Result | Other clocks (median) |",
        "|---|---|---|---|---|---|",
    ]
    for budget in budgets:
        measured = (
            None
            if budget.median is None or budget.q1 is None or budget.q3 is None
            else {"median": budget.median, "q1": budget.q1, "q3": budget.q3}
        )
        others = ", ".join(f"{clock} {value:.2f}x" for clock, value in budget.other_clocks.items()) or "-"
        lines.append(
            f"| {budget.description} | {budget.where} | `{budget.ratio}` | {ratio_cell(measured)} "
            f"| {budget.status} | {others} |"
        )
    for budget in budgets:
        if budget.ceiling is None or budget.median is None:
            continue
        theirs = budget.ratio.split("/")[1]
        lines += [
            "",
            f"Ceiling of `{budget.ratio}` in this run: bare/{theirs} = **{budget.ceiling:.2f}x** ({theirs} "
            f"runs at {1 / budget.ceiling:.2f}x the bare app), the ratio of a middleware that costs nothing "
            f"at all; ours reaches {budget.median / budget.ceiling:.0%} of it.",
        ]
    return lines


def _on_clock(groups: List[Dict[str, Any]], clock: str) -> List[Dict[str, Any]]:
    """The groups' figures on one clock (groups that lack it are left out)."""
    return [{**group, **group["clocks"][clock]} for group in groups if clock in group.get("clocks", {})]


def _tables(groups: List[Dict[str, Any]], primary: str) -> List[str]:
    """The primary clock's table, then the same ratios on every other clock."""
    lines = [f"{primary} clock:", "", *_group_table(groups)]
    clocks = [clock for clock in groups[0].get("clocks", {}) if clock != primary]
    for clock in clocks:
        lines += ["", f"{clock} clock, for comparison:", "", *_group_table(_on_clock(groups, clock))]
    return lines


def _group_table(groups: List[Dict[str, Any]]) -> List[str]:
    """One row per ratio, one column per route count."""
    headers = [f"{group['route_count']} routes" for group in groups]
    keys: List[str] = []
    for group in groups:
        keys += [key for key in group["ratios"] if key not in keys]
    lines = ["| Ratio | " + " | ".join(headers) + " |", "|---|" + "---|" * len(groups)]
    for key in keys:
        cells = [ratio_cell(group["ratios"].get(key)) for group in groups]
        lines.append(f"| `{key}` | " + " | ".join(cells) + " |")
    names: List[str] = []
    for group in groups:
        names += [name for name in group["variants"] if name not in names]
    for name in names:
        cells = [
            f"{group['throughput'][name]['median']:,.0f}" if name in group["throughput"] else "-"
            for group in groups
        ]
        lines.append(f"| {name} requests/s (median) | " + " | ".join(cells) + " |")
    return lines


def _memory_table(memory: Dict[str, Any]) -> List[str]:
    variants: Dict[str, Any] = memory["variants"]
    bare = variants.get("bare")
    lines = [
        f"{memory['requests']:,} requests, every one to a path not seen before, {memory['route_count']} routes; "
        "resident memory (VmRSS) read after a garbage collection.",
        "",
        "| Variant | RSS after all requests | vs bare | Growth from request "
        f"{next(iter(variants.values()))['growth_from']:,} to the end |",
        "|---|---|---|---|",
    ]
    for name, result in variants.items():
        versus = f"{(result['final_kb'] - bare['final_kb']) / 1024:+.1f} MiB" if bare else "-"
        lines.append(
            f"| {name} | {result['final_kb'] / 1024:.1f} MiB | {versus} | {result['growth_kb']:+,} kB |"
        )
    return lines


def render(results: Dict[str, Any], budgets: List[Budget]) -> str:
    meta = results["meta"]
    primary = meta.get("clock", "wall")
    lines = ["# Benchmarks", ""]
    lines += [
        "Generated by `bench/run.py` (see `bench/README.md`). Every figure is a ratio of throughputs "
        "(requests per second) paired within a round: the median over all rounds, with the "
        "interquartile range of the per-round ratios in brackets. Each variant runs in its own "
        "long-lived process; a round runs every variant once, in rotating order, each run between two "
        "runs of the bare app, and compares it with their geometric mean (`a/b` compares a and b "
        "through their neighbouring bare runs). This is because this machine's speed drifts by tens "
        "of percent within seconds; absolute requests per second are shown for scale only.",
        "",
        "Each run is timed on two clocks. `cpu`: requests per CPU second of the process serving them "
        "(the worker in-process, the uvicorn process over HTTP), which other processes competing for "
        "this shared machine's two cores do not inflate. `wall`: requests per elapsed second (wrk's "
        "figure over HTTP), what a user sees on an idle machine, but inflated by any other load. "
        f"Budgets are judged on the `{primary}` clock (`--clock`); both are reported. One caveat: "
        "0.0.5's file backend reads the file in a thread pool, and the time its requests spend "
        "waiting for that thread is on the wall clock only, so the CPU clock flatters it.",
        "",
        "Traffic cycles through 4,096 requests (3,843 distinct paths) spread evenly over every route "
        "(`/resource{i}/{item_id}` plus static routes), so no per-path cache can hide a per-route scan, "
        "and every timed run gets the same mix of early and late routes. Before timing, every "
        "variant's responses are checked (status, JSON body, Retry-After), and every timed request's "
        "status is counted.",
        "",
        "## Machine",
        "",
        *_machine(meta),
        "",
        "## Budgets",
        "",
        "Maintenance off is judged at every app size; the maintenance-on budgets and those against "
        "0.0.5 at 50 routes, the app of the issue's reference measurements. With more routes the bare "
        "app's own routing dominates both sides, so no middleware can beat 0.0.5 by more than "
        "bare/0.0.5 there; those ratios are in the tables below, not judged.",
        "",
        *_budget_rows(budgets, primary),
        "",
        "## Variants",
        "",
    ]
    used: List[str] = []
    for group in results.get("paired", []) + results.get("inprocess", []):
        used += [name for name in group["variants"] if name not in used]
    lines += [f"- {_describe(name)}" for name in used]
    lines.append("")
    paired: List[Dict[str, Any]] = results.get("paired", [])
    paired_off = [group for group in paired if group["label"].startswith("off")]
    paired_on = [group for group in paired if group["label"].startswith("on")]
    if paired:
        lines += [
            "## In-process, same process (ours against the bare app)",
            "",
            "The bare app and the variants below share one worker process and alternate in blocks of "
            "16 requests, rotating their order, so that whatever slows the machine hits them within "
            "milliseconds of each other; ratios are per round (about 0.1 s of requests per variant), "
            "median and IQR over rounds. The budgets of ours against bare are judged here.",
            "",
        ]
    if paired_off:
        lines += ["### Maintenance off", "", *_tables(paired_off, primary), ""]
    if paired_on:
        lines += ["### Maintenance on", "", *_tables(paired_on, primary), ""]
    groups: List[Dict[str, Any]] = results.get("inprocess", [])
    off = [group for group in groups if group["label"].startswith("off")]
    on = [group for group in groups if group["label"].startswith("on")]
    if groups:
        lines += [
            "## In-process, each variant in its own process (against 0.0.5 too)",
            "",
            "Each variant in its own worker process; rounds as described at the top. The budgets "
            "against 0.0.5 are judged here (0.0.5 cannot share a process with this package).",
            "",
        ]
    if off:
        lines += ["### Maintenance off", "", *_tables(off, primary), ""]
    if on:
        lines += ["### Maintenance on", "", *_tables(on, primary), ""]
    http = results.get("http")
    if http:
        lines += [
            "## HTTP (uvicorn on 127.0.0.1, wrk on loopback)",
            "",
            f"{http['route_count']} routes, {len(http['rounds'])} rounds; `wrk -t1 -c{http['connections']}` "
            "cycling through the same distinct paths; uvicorn with its default event loop and HTTP parser, "
            "one process per variant, fresh server processes every round. Each variant is measured side by "
            f"side with the bare app: both servers on the same core, each loaded by its own wrk (on the "
            f"other core) for the same {http['seconds']} s, so that whatever slows the machine slows both; "
            "the `cpu` figures compare requests per CPU second of the two server processes. The `wall` "
            "requests/s are wrk's, about half of what a server alone would reach, since two share a core.",
            "",
            *_tables([http], primary),
            "",
        ]
    memory = results.get("memory")
    if memory:
        lines += ["## Memory", "", *_memory_table(memory), ""]
    skipped: Dict[str, str] = results.get("skipped", {})
    if skipped:
        lines += ["## Not measured in this run", ""]
        lines += [f"- {what}: {why}" for what, why in skipped.items()]
        lines.append("")
    return "\n".join(lines)
