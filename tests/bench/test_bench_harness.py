"""The benchmark harness must not rot: every variant it times answers correctly.

Only correctness is asserted here, never speed. Each variant of this
repository is built and driven in this process exactly as a worker would;
the worker protocol itself is exercised with real worker processes for a few
of them. The fastapi-maintenance 0.0.5 variants need bench/.venv-fm005, which
``python bench/run.py --setup`` builds and CI does not: their test is skipped,
saying so, when that venv is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.harness.apps import build_app
from bench.harness.http_load import run_http, verify_load
from bench.harness.inprocess import check_all, time_rounds
from bench.harness.pool import BENCH_DIR, Places, Worker, WorkerError, start_workers, stop_workers
from bench.harness.redis_server import private_redis
from bench.harness.traffic import check_app
from bench.harness.variants import BuildContext, variant
from bench.harness.worker import Driver, Lifespan

ROUTES = 10
OURS = ["bare", "floor", "bare-503", "ours-env", "ours-file", "ours-memory", "ours-toml", "ours-on"]
FM005 = ["fm005-env", "fm005-file", "fm005-on"]
FM005_PYTHON = BENCH_DIR / ".venv-fm005" / "bin" / "python"


async def drive_in_process(name: str, tmp_path: Path, redis_url: Optional[str] = None) -> None:
    """Build the variant, start its lifespan, check its responses and run a few timed-loop requests."""
    spec = variant(name)
    app = spec.build(BuildContext(ROUTES, tmp_path, redis_url))
    lifespan = Lifespan(app)
    await lifespan.startup()
    try:
        assert await check_app(app, ROUTES, spec.maintenance) == []
        # The timed loop counts every status that is not the expected one.
        assert (await Driver(app, spec, ROUTES, 64).run(50))["unexpected"] == 0
    finally:
        await lifespan.shutdown()


@pytest.mark.anyio
@pytest.mark.parametrize("name", OURS)
async def test_each_variant_answers_correctly(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in variant(name).env.items():
        monkeypatch.setenv(key, value)
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


def one_short_round(names: List[str], places: Places) -> None:
    """Real worker processes: check every response, then one tiny timed round."""
    workers = start_workers(names, ROUTES, places)
    try:
        assert check_all(workers) == {name: [] for name in names}
        # A round raises if any timed response had the wrong status, so this checks them too.
        measured = time_rounds(workers, {name: 20 for name in names}, 1, lambda message: None)
        assert sorted(measured[0]["cpu"]["throughput"]) == sorted(names)
        assert sorted(measured[0]["wall"]["throughput"]) == sorted(names)
    finally:
        stop_workers(workers)


def test_workers_check_and_time_one_short_round(tmp_path: Path) -> None:
    one_short_round(["bare", "ours-env", "ours-on"], Places(tmp_path))


def test_variants_sharing_a_worker_answer_correctly_when_interleaved(tmp_path: Path) -> None:
    names = ["bare", "floor", "ours-env", "ours-memory"]
    worker = Worker(",".join(names), ROUTES, Places(tmp_path))
    try:
        worker.wait_ready()
        assert worker.check() == []
        # Raises if any interleaved response had the wrong status.
        answer = worker.interleave(32, 16)
        assert answer["count"] == 32
        assert sorted(answer["times"]) == sorted(names)
    finally:
        worker.close()


def test_variants_needing_different_environments_cannot_share_a_worker(tmp_path: Path) -> None:
    with pytest.raises(WorkerError, match="FASTAPI_MAINTENANCE_MODE"):
        Worker("ours-env,ours-on", ROUTES, Places(tmp_path))


@pytest.mark.skipif(
    not FM005_PYTHON.exists(),
    reason="fastapi-maintenance 0.0.5 variants need bench/.venv-fm005 (python bench/run.py --setup); CI skips them",
)
def test_fm005_variants_answer_correctly_in_one_short_round(tmp_path: Path) -> None:
    places = Places(tmp_path, fm005_python=FM005_PYTHON, fm005_root=FM005_PYTHON.parent.parent)
    one_short_round(["bare", *FM005], places)


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
        ROUTES,
        Places(tmp_path),
        wrk=wrk,
        rounds=1,
        seconds=1,
        connections=4,
        log=lambda line: None,
    )
    pairs = {(row["paired_with"], row["variant"]) for row in measured["wrk"]}
    assert pairs == {(name, name) for name in names[1:]} | {(name, "bare") for name in names[1:]}
    assert all(row["requests"] > 0 and row["server_cpu"] > 0 for row in measured["wrk"])
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
