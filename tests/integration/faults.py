"""One fault scenario for any backend: break the store under a running load, repair it, check every answer.

During the fault every answer is the ``on_backend_error`` policy's, apart from
the short moment before the backend notices (then the state from before is
still answered); no request fails or takes long; after the repair the app
follows the state again. Each policy's case starts from the state that makes
its answer differ from the state before wherever the policy allows, so the
test sees the policy at work rather than the old state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Dict

import anyio

from .load import Load

#: The bound on any request while the store is broken: answered from memory, never waiting on it.
LATENCY_BOUND = 2.0


@dataclass(frozen=True)
class PolicyCase:
    policy: str
    state_before: bool
    answer_during: int


POLICY_CASES: Dict[str, PolicyCase] = {
    # last_known: the state before the fault is kept (on, so it differs from "off when nothing was read").
    "last_known": PolicyCase("last_known", state_before=True, answer_during=503),
    # open: traffic is served although maintenance was on before the fault.
    "open": PolicyCase("open", state_before=True, answer_during=200),
    # closed: maintenance is on although it was off before the fault.
    "closed": PolicyCase("closed", state_before=False, answer_during=503),
}


def status_for(value: bool) -> int:
    return 503 if value else 200


async def fault_then_recovery(
    load: Load,
    case: PolicyCase,
    *,
    set_state: Callable[[bool], Awaitable[None]],
    break_store: Callable[[], Awaitable[None]],
    repair_store: Callable[[], Awaitable[None]],
    state_after_repair: bool,
    label: str,
    hold: float = 2.0,
    workers: int = 1,
) -> None:
    """Run the scenario against a running load and stop the load; ``state_after_repair`` is what the repaired store holds."""
    before = status_for(case.state_before)
    state_set = time.monotonic()
    await set_state(case.state_before)
    await load.settle(before, after=state_set)
    if workers > 1:
        # Every worker must have read the state before the fault: one that never did has no last
        # known state to keep, and answers as if maintenance were off (documented).
        await load.reach_workers(workers, before, after=state_set)

    fault_start = time.monotonic()
    await break_store()
    await load.settle(case.answer_during, after=fault_start)
    policy_answers_from = time.monotonic()
    await anyio.sleep(max(0.0, fault_start + hold - time.monotonic()))
    fault_end = time.monotonic()
    await repair_store()

    during = load.between(fault_start, fault_end)
    unexpected = [
        f"{sample.status} from worker {sample.pid} at +{sample.started - fault_start:.2f}s"
        for sample in during
        if sample.status not in (before, case.answer_during)
    ]
    assert unexpected == [], (
        f"{label}, {case.policy}: {len(unexpected)} of {len(during)} answers during the fault were neither "
        f"{before} nor {case.answer_during}: {unexpected[:5]}; workers before the fault: "
        f"{sorted({s.pid for s in load.between(0.0, fault_start) if s.pid})}; {load.summary()}"
    )
    answered_by_policy = load.between(policy_answers_from, fault_end)
    assert len(answered_by_policy) >= 20, f"{label}: too few requests during the fault: {load.summary()}"
    assert {sample.status for sample in answered_by_policy} == {case.answer_during}, (
        f"{label}, {case.policy}: once the fault is noticed the policy answers {case.answer_during}: {load.summary()}"
    )

    await load.settle(status_for(state_after_repair), after=time.monotonic(), deadline=10.0)
    for value in (not state_after_repair, state_after_repair):
        await set_state(value)
        await load.settle(status_for(value), after=time.monotonic(), deadline=5.0)

    load.stop()
    slow = [
        sample for sample in load.between(fault_start, time.monotonic()) if sample.elapsed > LATENCY_BOUND
    ]
    assert slow == [], f"{label}: requests took longer than {LATENCY_BOUND} s around the fault: {slow[:5]}"
    assert load.errors() == [], f"{label}: request errors: {load.summary()}"
    assert set(load.statuses()) <= {200, 503}, f"{label}: {load.summary()}"
