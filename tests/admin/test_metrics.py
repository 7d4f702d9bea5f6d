"""Prometheus metrics: counters move under maintenance traffic only, in one process and across workers."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from fastapi_maintenance import MaintenanceModeMiddleware, force_maintenance_mode_off
from fastapi_maintenance.backends import MemoryBackend
from fastapi_maintenance.metrics import MaintenanceMetrics, metrics_endpoint
from fastapi_maintenance.record import MaintenanceState
from fastapi_maintenance.rules import Decision, Reason
from tests.admin.conftest import Served, bearer, served_admin_app
from tests.support.asgi import client_for
from tests.support.lifespan import startup_failure

SECRET = "a-bypass-secret-of-some-length"


def samples(text: str) -> Dict[str, float]:
    """Every sample of the exposition as ``name{label="v"}`` -> value, parsed by prometheus_client itself."""
    found: Dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{key}="{value}"' for key, value in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def _app(backend: MemoryBackend, registry: CollectorRegistry) -> FastAPI:
    app = FastAPI()
    app.add_middleware(
        MaintenanceModeMiddleware,
        backend=backend,
        metrics=MaintenanceMetrics(registry),
        allowed_ips=["10.0.0.0/8"],
        bypass={"secret": SECRET},
        exempt_docs=False,
    )
    app.add_api_route("/metrics", metrics_endpoint(registry), include_in_schema=False)

    @app.get("/")
    async def index() -> Dict[str, bool]:
        return {"ok": True}

    @app.get("/health")
    @force_maintenance_mode_off
    async def health() -> Dict[str, bool]:
        return {"ok": True}

    return app


@pytest.mark.anyio
async def test_counters_move_only_while_maintenance_applies() -> None:
    registry, backend = CollectorRegistry(), MemoryBackend()
    app = _app(backend, registry)
    async with client_for(app) as http:
        for _ in range(5):
            assert (await http.get("/")).status_code == 200
        await backend.set_value(True)
        for _ in range(3):
            assert (await http.get("/")).status_code == 503
        assert (await http.get("/", headers={"X-Maintenance-Bypass": SECRET})).status_code == 200
        assert (await http.get("/health")).status_code == 200
        await backend.set_value(False)
        for _ in range(5):
            assert (await http.get("/health")).status_code == 200
        exposition = (await http.get("/metrics")).text
    values = samples(exposition)
    assert values['fastapi_maintenance_responses_total{reason="backend"}'] == 3
    assert values["fastapi_maintenance_bypasses_total"] == 1
    assert values['fastapi_maintenance_exemptions_total{reason="route_forced_off"}'] == 1, (
        "the forced-off route counts only while maintenance is on"
    )
    assert values['fastapi_maintenance_exemptions_total{reason="exempt_ip"}'] == 0


@pytest.mark.anyio
async def test_exempt_addresses_are_counted_by_kind() -> None:
    registry, backend = CollectorRegistry(), MemoryBackend()
    await backend.set_value(True)
    transport = httpx.ASGITransport(app=_app(backend, registry), client=("10.1.2.3", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/")).status_code == 200
    values = samples(await _scrape(registry))
    assert values['fastapi_maintenance_exemptions_total{reason="exempt_ip"}'] == 1


async def _scrape(registry: CollectorRegistry) -> str:
    app = FastAPI()
    app.add_api_route("/metrics", metrics_endpoint(registry))
    async with client_for(app) as http:
        return (await http.get("/metrics")).text


def test_the_observer_ignores_decisions_that_are_neither_maintenance_nor_exemptions() -> None:
    registry = CollectorRegistry()
    metrics = MaintenanceMetrics(registry)
    metrics.request_decided(Decision(False, Reason.NO_ROUTE))
    metrics.request_decided(Decision(False, None))
    metrics.request_decided(Decision(True, Reason.WINDOW))
    values = {
        name: value
        for name, value in samples(generate_latest(registry).decode()).items()
        if name.endswith("_total") or "_total{" in name
    }
    assert values.pop('fastapi_maintenance_responses_total{reason="window"}') == 1
    assert set(values.values()) == {0.0}, values


class _Failing(MemoryBackend):
    """A memory backend whose reads can be made to fail, like a store going away."""

    failing = False

    async def get_value(self) -> bool:
        if self.failing:
            raise ConnectionError("store is gone")
        return await super().get_value()

    async def get_state(self) -> MaintenanceState:
        if self.failing:
            raise ConnectionError("store is gone")
        return await super().get_state()

    def peek(self) -> Optional[bool]:
        return None

    def peek_state(self) -> Optional[MaintenanceState]:
        return None


@pytest.mark.anyio
async def test_the_gauges_follow_the_state_and_the_backends_health() -> None:
    registry, backend = CollectorRegistry(), _Failing()
    app = _app(backend, registry)
    async with client_for(app) as http:
        assert (await http.get("/")).status_code == 200
        values = samples(await _scrape(registry))
        assert values["fastapi_maintenance_state"] == 0
        assert values["fastapi_maintenance_backend_reachable"] == 1
        assert values["fastapi_maintenance_state_changes_total"] == 0
        until = datetime.now(timezone.utc) + timedelta(hours=1)
        await backend.set_state(MaintenanceState(True, until=until))
        assert (await http.get("/")).status_code == 503
        values = samples(await _scrape(registry))
        assert values["fastapi_maintenance_state"] == 1
        assert values["fastapi_maintenance_until_timestamp_seconds"] == pytest.approx(until.timestamp())
        assert values["fastapi_maintenance_state_changes_total"] == 1
        backend.failing = True
        assert (await http.get("/")).status_code == 503, "last_known: still on"
        assert samples(await _scrape(registry))["fastapi_maintenance_backend_reachable"] == 0
        backend.failing = False
        await backend.set_value(False)
        assert (await http.get("/")).status_code == 200
        values = samples(await _scrape(registry))
        assert values["fastapi_maintenance_backend_reachable"] == 1
        assert values["fastapi_maintenance_state"] == 0
        assert values["fastapi_maintenance_until_timestamp_seconds"] == 0
        assert values["fastapi_maintenance_state_changes_total"] == 2


def test_registering_twice_on_one_registry_is_refused_by_prometheus_client() -> None:
    registry = CollectorRegistry()
    MaintenanceMetrics(registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        MaintenanceMetrics(registry)
    MaintenanceMetrics(registry, namespace="second_app")


def _wait_for_maintenance(served: Served, deadline: float = 15.0) -> None:
    """Until ten answers in a row are 503: every worker has read the new state."""
    end = time.monotonic() + deadline
    streak = 0
    while time.monotonic() < end:
        streak = streak + 1 if httpx.get(served.url + "/").status_code == 503 else 0
        if streak >= 10:
            return
        time.sleep(0.05)
    raise AssertionError("the workers did not all answer with maintenance in time")


def _switch_on(served: Served) -> None:
    answer = httpx.put(served.admin_url + "/", headers=bearer(served.token), json={"active": True})
    assert answer.status_code == 200, answer.text


def _count(served: Served, name: str) -> Optional[float]:
    return samples(httpx.get(served.url + "/metrics").text).get(name)


@pytest.mark.http
def test_the_exposition_of_a_served_app_shows_maintenance_responses(tmp_path: Path) -> None:
    with served_admin_app(tmp_path) as served:
        for _ in range(4):
            assert httpx.get(served.url + "/").status_code == 200
        assert _count(served, 'fastapi_maintenance_responses_total{reason="backend"}') == 0
        _switch_on(served)
        for _ in range(7):
            assert httpx.get(served.url + "/").status_code == 503
        assert _count(served, 'fastapi_maintenance_responses_total{reason="backend"}') == 7


@pytest.mark.http
def test_two_workers_in_multiprocess_mode_add_up(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    with served_admin_app(tmp_path, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(folder)}) as served:
        _switch_on(served)
        _wait_for_maintenance(served)
        before = _count(served, 'fastapi_maintenance_responses_total{reason="backend"}')
        assert before is not None
        sent = 0
        counts = _per_worker(folder)
        while sent < 400 and (len(counts) < 2 or min(counts) == 0):
            for _ in range(10):
                assert httpx.get(served.url + "/").status_code == 503
            sent += 10
            counts = _per_worker(folder)
        per_worker = _per_worker(folder)
        assert len(per_worker) == 2, per_worker
        assert min(per_worker) > 0, f"both workers answered with maintenance: {per_worker}"
        for _ in range(5):  # whichever worker answers the scrape, it reports both workers' counts
            after = _count(served, 'fastapi_maintenance_responses_total{reason="backend"}')
            assert after == before + sent


def _per_worker(folder: Path) -> List[float]:
    """Each worker's own count of maintenance responses, read from its file in the multiprocess folder."""
    counts = []
    for path in sorted(folder.glob("counter_*.db")):
        total = 0.0
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True):  # type: ignore[no-untyped-call]
            for sample in metric.samples:
                if sample.name == "fastapi_maintenance_responses_total" and sample.labels == {
                    "reason": "backend"
                }:
                    total += sample.value
        counts.append(total)
    return counts


def test_something_else_as_metrics_is_a_start_up_error() -> None:
    middleware = MaintenanceModeMiddleware(FastAPI(), backend=MemoryBackend(), metrics=CollectorRegistry())
    assert "keyword argument metrics" in startup_failure(middleware)
