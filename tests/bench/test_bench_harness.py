"""The benchmark harness must not rot: every variant it times answers correctly.

Only correctness is asserted here, never speed. Each variant is built and
driven in this process exactly as a worker would; the worker process itself
and the HTTP harness run for one tiny round.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.harness.http_load import run_http, verify_load
from bench.harness.in_process import Driver, check_app, interleave, lifespan, run_in_process
from bench.harness.processes import private_redis
from bench.harness.report import MARKER, evaluate, render, write_report
from bench.harness.variants import BuildContext, build_app, variant
from fastapi_maintenance.settings.backend import DEFAULT_ENV_VAR

ROUTES = 10
OURS = ["bare", "floor", "bare-503", "ours-env", "ours-file", "ours-memory", "ours-on"]


async def drive_in_process(name: str, tmp_path: Path, redis_url: Optional[str] = None) -> None:
    """Build the variant, start its lifespan, check its responses and run a few timed-loop requests."""
    spec = variant(name)
    app = spec.build(BuildContext(ROUTES, tmp_path, redis_url))
    async with lifespan(app):
        assert await check_app(app, ROUTES, spec.maintenance) == []
        # The timed loop counts every status that is not the expected one.
        driver = Driver(app, spec.maintenance, ROUTES, 64)
        await driver.run(50)
        assert driver.unexpected == 0


@pytest.mark.anyio
@pytest.mark.parametrize("name", OURS)
async def test_each_variant_answers_correctly(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DEFAULT_ENV_VAR, "1" if variant(name).maintenance else "0")
    await drive_in_process(name, tmp_path)


@pytest.fixture
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with private_redis() as url:
        if url is None:
            pytest.skip("no redis-server could be started on 127.0.0.1")
        yield url


@pytest.mark.anyio
@pytest.mark.redis
async def test_redis_variant_answers_correctly(tmp_path: Path, redis_url: str) -> None:
    await drive_in_process("ours-redis", tmp_path, redis_url)


def test_a_worker_process_checks_and_times_one_short_round(tmp_path: Path) -> None:
    names = ["bare", "floor", "ours-env", "ours-memory"]
    comparisons = [(name, "bare") for name in names[1:]]
    # Raises if the worker found a wrong response, or if any timed response had the wrong status.
    measured = run_in_process(
        "off", names, comparisons, BuildContext(ROUTES, tmp_path), rounds=2, round_seconds=0.01, log=print
    )
    assert len(measured["rounds"]) == 2
    assert sorted(measured["rounds"][0]["throughput"]) == sorted(names)
    assert set(measured["ratios"]) == {"floor/bare", "ours-env/bare", "ours-memory/bare"}
    # The report keeps its sections; a budget whose ratio was not measured never passes.
    results = {"in_process": [measured], "skipped": {"HTTP rounds": "not run here"}, "meta": {"Date": "?"}}
    budgets = evaluate(results)
    report = render(results, budgets)
    for heading in (
        "## This run",
        "## Budgets",
        "## Variants",
        "## In-process, maintenance off",
        "## Not measured",
    ):
        assert f"\n{heading}" in "\n" + report
    assert [budget.status for budget in budgets if budget.where == "HTTP"] == ["not measured"] * 2
    assert [budget.status for budget in budgets if budget.where.startswith("on")] == ["not measured"]


def test_a_group_whose_variants_need_different_states_fails_instead_of_measuring(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """One worker has one environment: the env backend cannot be off for one variant and on for another."""
    with pytest.raises(RuntimeError, match="the worker exited"):
        run_in_process(
            "mixed",
            ["bare", "ours-env", "ours-on"],
            [("ours-env", "bare")],
            BuildContext(ROUTES, tmp_path),
            rounds=1,
            round_seconds=0.01,
            log=print,
        )
    assert "ours-env: GET /resource0/0: status 503, expected 200" in capfd.readouterr().err


def test_the_report_keeps_the_hand_written_text_above_the_marker(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    report.write_text(f"# Benchmarks\n\nHow it is measured.\n\n{MARKER}\n\nold figures\n", encoding="utf-8")
    write_report(report, "new figures\n")
    assert (
        report.read_text(encoding="utf-8")
        == f"# Benchmarks\n\nHow it is measured.\n\n{MARKER}\n\nnew figures\n"
    )
    fresh = tmp_path / "quick.md"
    write_report(fresh, "figures\n")
    assert fresh.read_text(encoding="utf-8").endswith(f"{MARKER}\n\nfigures\n")


@pytest.mark.anyio
async def test_interleaving_counts_wrong_statuses(tmp_path: Path) -> None:
    """A round in which any request got the wrong status raises instead of giving a figure."""
    app = variant("bare").build(BuildContext(ROUTES, tmp_path))
    await interleave({"bare": Driver(app, False, ROUTES, 64)}, 32, 16)
    with pytest.raises(RuntimeError, match="unexpected status"):
        await interleave({"bare": Driver(app, True, ROUTES, 64)}, 32, 16)


async def _problems(app: ASGIApp, maintenance: bool) -> List[str]:
    return await check_app(app, ROUTES, maintenance, sample=8)


@pytest.mark.anyio
async def test_the_response_check_catches_wrong_answers() -> None:
    """The check that guards every timing must be able to fail."""
    serving, answering_503 = build_app(ROUTES), build_app(ROUTES, answer_503=True)
    assert await _problems(serving, False) == []
    assert await _problems(answering_503, True) == []
    assert "status 200, expected 503" in (await _problems(serving, True))[0]
    assert "status 503, expected 200" in (await _problems(answering_503, False))[0]
    without_retry_after = _dropping_retry_after(answering_503)
    assert "without a Retry-After header" in (await _problems(without_retry_after, True))[0]


def _dropping_retry_after(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def filtered(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"retry-after"]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, filtered)

    return wrapped


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="the HTTP harness needs wrk (scripts/test.sh installs it as root)"
)
def test_http_harness_serves_and_loads_variants_side_by_side(tmp_path: Path) -> None:
    names = ["bare", "ours-env", "bare-503", "ours-on"]
    wrk = shutil.which("wrk")
    assert wrk is not None
    # Raises if a server answers wrongly before the load, or if any request under load gets the wrong status.
    measured = run_http(
        names,
        [("ours-env", "bare"), ("ours-on", "bare-503")],
        BuildContext(ROUTES, tmp_path),
        wrk=wrk,
        rounds=1,
        seconds=1,
        connections=4,
        log=lambda line: None,
    )
    assert len(measured["rounds"]) == 1
    assert sorted(measured["rounds"][0]["throughput"]) == sorted(names)
    assert all(rate > 0 for rate in measured["rounds"][0]["throughput"].values())
    assert set(measured["ratios"]) == {"ours-env/bare", "ours-on/bare-503"}


def test_the_load_check_catches_wrong_statuses() -> None:
    """Under load every request must get the variant's status: all 200s off, all 503s on."""
    verify_load("ours-env", False, {"requests": 10, "non_2xx": 0, "socket_errors": 0})
    verify_load("ours-on", True, {"requests": 10, "non_2xx": 10, "socket_errors": 0})
    with pytest.raises(RuntimeError, match="ours-env"):
        verify_load("ours-env", False, {"requests": 10, "non_2xx": 1, "socket_errors": 0})
    with pytest.raises(RuntimeError, match="ours-on"):
        verify_load("ours-on", True, {"requests": 10, "non_2xx": 9, "socket_errors": 0})
    with pytest.raises(RuntimeError):
        verify_load("bare", False, {"requests": 10, "non_2xx": 0, "socket_errors": 2})
